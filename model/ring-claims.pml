/*
 * The login claim protocol of a mail-director ring (docs/ring-protocol.md),
 * as a Promela model for spin. It checks invariant I1 of docs/invariants.md:
 * a user is never logged in on two backends at once.
 *
 * One user, N directors, two backend hosts. Every director may log the user
 * in to either host at any time (any view of the ring, however stale), and
 * a session may end at any time (logout, kick, backend failure). Messages
 * between two directors travel on their own channels, so a presence update
 * and a claim from the same director can overtake each other, as the gossip
 * stream and the Claim call do.
 *
 * What a director does (src/app/moves.ts awaitExclusive, src/cluster/claims.ts):
 *   - login to host h: wait while its view shows the user held elsewhere
 *     (a session or a grant it gave on another host); then claim: its own
 *     presence says h (published to every peer), and it asks every peer to
 *     grant the claim. With grants from a majority (itself included) the
 *     session starts; with refusals from a majority it withdraws (presence
 *     back to none, release sent) and may try again.
 *   - a peer grants unless its view shows another director holding the user
 *     on another host, or it granted another director's claim on another
 *     host that still stands. A grant stands until the claimant's presence
 *     with that claim's counter (or newer) arrives, or a release does.
 *   - a grant also ends when it expires (cluster/claims.ts, 10 s). The model
 *     lets it expire only once the claimant has no session and no claim in
 *     progress: the timing assumption that a claimant that went ahead
 *     publishes its presence well within the TTL (gossip takes milliseconds;
 *     a director cut off ends its sessions first, by fencing).
 *
 * Build with -DNO_QUORUM for the protocol without grants (a login checks only
 * its own view): spin must then find the violation (scripts/model-check).
 */

/* Three directors: the receive options below are written out for each peer. */
#define N 3
#ifndef MAX_LOGINS
#define MAX_LOGINS 1
#endif
#define MAJORITY (N / 2 + 1)
#define NONE 0

/* The sessions that exist: host of director i's session of the user (0: none). */
byte sess[N];

/* Director i's view of director d's presence: host and counter. pres[i*N+i] is i's own. */
byte pres[N * N];
byte presCtr[N * N];
/* Grants director i gave director c: host (0: none) and the claim's presence counter. */
byte grant[N * N];
byte grantCtr[N * N];

/* Presence updates and claim traffic, one channel per ordered pair. */
chan presLink[N * N] = [3] of { byte, byte };          /* host, counter */
chan claimLink[N * N] = [2] of { bit, byte, byte };    /* release?, host, counter */
chan replyLink[N * N] = [2] of { bit, byte };          /* granted?, counter */

#define held_elsewhere(i, h, c) \
  ((c != i && pres[i * N + c] != NONE && pres[i * N + c] != h) || (c != i && grant[i * N + c] != NONE && grant[i * N + c] != h))

/* I1: no two directors' sessions on different hosts. */
#define two_backends \
  ((sess[0] != NONE && sess[1] != NONE && sess[0] != sess[1]) || \
   (sess[0] != NONE && sess[2] != NONE && sess[0] != sess[2]) || \
   (sess[1] != NONE && sess[2] != NONE && sess[1] != sess[2]))

/* Sessions start only where a claim succeeds: I1 is checked there (an assertion, not a monitor process, halves the interleavings). */

inline recv_pres(p) {
  presLink[p * N + i]?rh, rc;
  if :: rc > presCtr[i * N + p] -> pres[i * N + p] = rh; presCtr[i * N + p] = rc :: else -> skip fi;
  if :: grant[i * N + p] != NONE && rc >= grantCtr[i * N + p] -> grant[i * N + p] = NONE :: else -> skip fi
}

inline recv_claim(p) {
  claimLink[p * N + i]?rb, rh, rc;
  if
  :: rb == 1 -> if :: grant[i * N + p] == rh -> grant[i * N + p] = NONE :: else -> skip fi
  :: else ->
     blocked = false;
     h = 0;
     do
     :: h < N ->
        if
        :: h != p && pres[i * N + h] != NONE && pres[i * N + h] != rh -> blocked = true
        :: h != p && h != i && grant[i * N + h] != NONE && grant[i * N + h] != rh -> blocked = true
        :: else -> skip
        fi;
        h++
     :: else -> break
     od;
     if
     :: blocked -> replyLink[i * N + p]!0, rc
     :: else -> grant[i * N + p] = rh; grantCtr[i * N + p] = rc; replyLink[i * N + p]!1, rc
     fi
  fi
}

inline recv_reply(p) {
  replyLink[p * N + i]?rb, rc;
  if
  :: claiming != NONE && rc == claimCtr ->
     if :: rb == 1 -> granted++ :: else -> refused++ fi;
     if
     :: granted >= MAJORITY -> sess[i] = claiming; claiming = NONE; assert(!two_backends)
     :: refused > N - MAJORITY ->
        /* No majority possible: withdraw the claim everywhere. */
        ctr++;
        pres[i * N + i] = NONE;
        presCtr[i * N + i] = ctr;
        h = 0;
        do
        :: h < N -> if :: h != i -> presLink[i * N + h]!NONE, ctr; claimLink[i * N + h]!1, claiming, claimCtr :: else -> skip fi; h++
        :: else -> break
        od;
        claiming = NONE
     :: else -> skip
     fi
  :: else -> skip   /* a late reply to a claim already decided */
  fi
}

proctype director(byte i) {
  byte h, c, ctr = 0, logins = 0;
  byte claiming = NONE;   /* the host of the claim in progress */
  byte claimCtr = 0;
  byte granted = 0, refused = 0;
  byte rh, rc;
  bit rb;
  bool blocked;

  do
  /* A login: pick a host, as any view of the ring might. */
  :: atomic {
       claiming == NONE && sess[i] == NONE && logins < MAX_LOGINS ->
       if :: h = 1 :: h = 2 fi;
       blocked = false;
       c = 0;
       do
       :: c < N -> if :: held_elsewhere(i, h, c) -> blocked = true :: else -> skip fi; c++
       :: else -> break
       od;
       if
       :: blocked -> skip   /* held: wait (the user's sessions elsewhere are being ended) */
       :: else ->
          logins++;
          ctr++;
          pres[i * N + i] = h;
          presCtr[i * N + i] = ctr;
          c = 0;
          do
          :: c < N -> if :: c != i -> presLink[i * N + c]!h, ctr :: else -> skip fi; c++
          :: else -> break
          od;
#ifdef NO_QUORUM
          sess[i] = h;
          assert(!two_backends)
#else
          claiming = h;
          claimCtr = ctr;
          granted = 1;   /* its own */
          refused = 0;
          c = 0;
          do
          :: c < N -> if :: c != i -> claimLink[i * N + c]!0, h, ctr :: else -> skip fi; c++
          :: else -> break
          od
#endif
       fi
     }
  /* A session ends (logout, kick, backend gone): presence back to none. */
  :: atomic {
       sess[i] != NONE ->
       sess[i] = NONE;
       ctr++;
       pres[i * N + i] = NONE;
       presCtr[i * N + i] = ctr;
       c = 0;
       do
       :: c < N -> if :: c != i -> presLink[i * N + c]!NONE, ctr :: else -> skip fi; c++
       :: else -> break
       od
     }
  /* A peer's presence arrives; it speaks for that peer's claims from its counter on. */
  :: atomic { (i != 0 && nempty(presLink[0 * N + i])) -> recv_pres(0) }
  :: atomic { (i != 1 && nempty(presLink[1 * N + i])) -> recv_pres(1) }
  :: atomic { (i != 2 && nempty(presLink[2 * N + i])) -> recv_pres(2) }
  /* A peer's claim (or release) arrives: grant it unless the user is held elsewhere here. */
  :: atomic { (i != 0 && nempty(claimLink[0 * N + i])) -> recv_claim(0) }
  :: atomic { (i != 1 && nempty(claimLink[1 * N + i])) -> recv_claim(1) }
  :: atomic { (i != 2 && nempty(claimLink[2 * N + i])) -> recv_claim(2) }
  /* A reply to our claim. */
  :: atomic { (i != 0 && nempty(replyLink[0 * N + i])) -> recv_reply(0) }
  :: atomic { (i != 1 && nempty(replyLink[1 * N + i])) -> recv_reply(1) }
  :: atomic { (i != 2 && nempty(replyLink[2 * N + i])) -> recv_reply(2) }
  /* A grant this director gave expires: only once its claimant has nothing running on it (see above). */
  :: atomic {
       c = 0;
       do
       :: c < N ->
          if
          :: c != i && grant[i * N + c] != NONE && sess[c] == NONE && pres[c * N + c] == NONE -> grant[i * N + c] = NONE
          :: else -> skip
          fi;
          c++
       :: else -> break
       od
     }
  od
}

init {
  atomic {
    run director(0);
    run director(1);
    run director(2)
  }
}
