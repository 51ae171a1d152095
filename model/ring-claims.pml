/*
 * The login claim protocol of a mail-director ring (docs/ring-protocol.md),
 * as a Promela model for spin. It checks invariant I1 of docs/invariants.md
 * (a user is never logged in on two backends at once) in every reachable
 * state, and, built with -DLIVENESS, that a login in progress (held by its
 * view, or claiming) always comes to a decision.
 *
 * One user, three directors, two backend hosts. Every director may log the
 * user in to either host at any time (any view of the ring, however stale:
 * an LDAP host change, a weight change, a move, `backend down` all come down
 * to "this director now routes the user to the other host"). Run and replay:
 * scripts/model-check; docs/reliability.md has the figures.
 *
 * What a director does, and the code each step stands for:
 *   - login to host h (src/app/moves.ts awaitExclusive): while its view
 *     shows the user held on another host (a peer's presence, or a grant it
 *     gave a peer's claim: #heldElsewhere) the login waits; that is the move
 *     hold, and the waiting login asks the holders to end their sessions
 *     (requestKick). Otherwise it claims: its own presence says h at once
 *     (src/cluster/presence.ts publishNow, a new counter) and it asks every
 *     peer to grant (src/cluster/ring-node.ts claimRing). Grants from a
 *     majority, itself included (a Set: a grant counts once, however often
 *     its reply arrives; src/cluster/fencing.ts grantsSuffice), start the
 *     session. A refusal, or the round's timeout, ends the round: the claim
 *     is withdrawn (presence back to none) and a release goes to every peer
 *     (awaitExclusive, src/app/ring-claims.ts release).
 *   - a peer answers a claim (src/cluster/claims.ts decide): refused when its
 *     view shows another director holding the user on another host (its own
 *     sessions and claims included), or when it granted another director's
 *     claim on another host that still stands; else granted and remembered.
 *     A grant stands until the claimant's presence with that claim's
 *     counter or newer arrives (presenceSeen, on entries that changed), the
 *     claimant's release arrives (release: by claimant, whatever the host),
 *     or it expires.
 *   - a session ends at any time. That one step stands for a logout, a kick
 *     (`user kick`, a move's kick: moves.ts kickLocal, #resolveConflicts), a
 *     backend failure, and fencing (src/cluster/fencing.ts: a director cut
 *     off from the majority ends its sessions): I1 must hold whichever of
 *     them comes when, and none is needed for it.
 *
 * The network between two directors (one channel per ordered pair and kind,
 * so a presence update, a claim and a reply overtake each other freely):
 *   - presence travels on the gossip stream, TCP with a full-state resend on
 *     reconnect (src/cluster/peer-link.ts): in order, never lost; an
 *     intermediate update may be skipped (the receiver sees a newer counter
 *     first) or delivered again. A skip is not modelled as such: the receiver
 *     keeps only the newest counter, so skipping an update leaves it in the
 *     same state as receiving the update and, with no step in between, the
 *     next one, a run this model has. A duplicate is modelled as a second
 *     delivery right after the first: the ring state merges by version, so
 *     a repeat is not a changed entry and changes nothing, and on one stream
 *     the receiver's counter only grows, so a later repeat is the same no-op
 *     (leaving it on the channel would only add states).
 *   - a Claim call, its reply or a release may be lost (or a call fail): the
 *     receiver may drop the head of those channels. The claimant's timeout
 *     (claimRing's timer) may end a round at any time, so a lost claim or
 *     reply is a round that times out, and a lost release leaves a grant that
 *     stands until the claimant's newer presence arrives or it expires. A
 *     reply may be delivered twice, modelled as two deliveries in one step
 *     (it counts once; a later repeat finds its round ended or the grant
 *     already in the set). A release that overtakes
 *     its own claim finds nothing and the claim is then granted: the same
 *     states as a lost release, so claim and release share one FIFO channel.
 *
 * A director crash (at most MAX_CRASHES; the process dies and is started
 * again): its sessions end (their backend connections die with it), its
 * claim in progress is gone, its grants (memory only, cluster/claims.ts) and
 * its view of the peers' presence are lost, and everything on the way to it
 * is lost. It restarts with a presence counter above every earlier one
 * (counters are Lamport clocks >= wall ms, src/ring/state.ts) and publishes
 * that it holds nothing. Each peer then sends it its whole state (the FULL
 * batches answering the Hello, src/cluster/peer-link.ts): one step per peer
 * that delivers that peer's current presence. The restart rule
 * (src/app/ring-claims.ts): a restarted director grants no claim until the
 * whole state of every other member has arrived since its start, or the
 * grant TTL (10 s) has passed since its start; and, for the same reason,
 * its own logins wait as long (claimRing counts the director's own vote, and
 * a restarted director's vote knows nothing: -DGRANTS_ONLY_QUARANTINE is the
 * rule without that half, and spin finds I1 broken there). Messages it sent
 * before the crash may still arrive, or not.
 *
 * Timing assumptions (the only ones; everything else is any order):
 *   T1 a grant expires (cluster/claims.ts, 10 s) only once its claimant has
 *      nothing running on it (no session, no claim in progress): a claimant
 *      that went ahead publishes its presence well within the TTL (gossip
 *      takes milliseconds; a director cut off ends its sessions by fencing).
 *   T2 the restart rule's TTL branch: 10 s after the restart, every grant
 *      the director held when it crashed would have ended by T1 or because
 *      the claimant's presence with that counter has reached every other
 *      director.
 *
 * Bounds: MAX_LOGINS logins per director (a refused login is not retried:
 * the retry is the next login), MAX_CRASHES crashes in all, and only the
 * first LOGIN_DIRECTORS directors log the user in (the others grant, refuse,
 * crash; scripts/model-check uses 2: two sessions are what breaks I1, any
 * director may crash, so up to renaming every run with two logging-in
 * directors is there; a third login adds presence and grants, which make
 * peers hold and refuse: argued, not checked, as the three-login space did
 * not finish in the time we had). The first login
 * of a run goes to host 1: the hosts are interchangeable in every rule, so
 * the runs whose first login goes to host 2 are the same up to renaming.
 *
 * Controls, in which spin must find a violation (scripts/model-check):
 *   -DNO_QUORUM              a login checks only its own view (no grants)
 *   -DNO_RESTART_QUARANTINE  a restarted director grants, and logs in, at once
 *   -DGRANTS_ONLY_QUARANTINE a restarted director grants nothing, but its own
 *                            logins go ahead on its own vote
 * -DNO_LOSS leaves out the loss steps (claims, replies, releases).
 */

#define N 3                     /* the receive options below are written out for two peers */
#ifndef MAX_LOGINS
#define MAX_LOGINS 1
#endif
#ifndef MAX_CRASHES
#define MAX_CRASHES 1
#endif
#define MAJORITY 2
#define NONE 0
#define PEER1(i) (((i) + 1) % N)
#define PEER2(i) (((i) + 2) % N)
#define THIRD(i, p) (3 - (i) - (p))
/* Director i's view of director d (i == d: its own). */
#define V(i, d) ((i) * N + (d))
/* The link from director i to director p (i != p): six channels per kind, none from a director to itself. */
#define L(i, p) ((i) * (N - 1) + (p) - ((p) > (i)))
#define BIT(d) (1 << (d))
#define COUNT(m) (((m) & 1) + (((m) >> 1) & 1) + (((m) >> 2) & 1))

/* Capacities: what one director can send one peer in a run, so a send never blocks. */
#define PRES_CAP (2 * MAX_LOGINS + MAX_CRASHES)   /* claim and its end per login; a restart */
#define CLAIM_CAP (2 * MAX_LOGINS)                /* claim and release per login */
#define REPLY_CAP (MAX_LOGINS)                    /* one answer per claim */

/* Host of director i's session of the user (NONE: none); the host of its claim in progress. */
byte sess[N];
byte claiming[N];
/* The directors that granted i's claim in progress (itself included): a set, as in claimRing. */
byte granted[N];
byte logins[N];
/* Director i's view of director d's presence (host, counter); V(i, i) is its own. */
byte pres[N * N];
byte presCtr[N * N];
/* The grant director i gave director c's claim: host (NONE: none) and the claim's presence counter. */
byte grant[N * N];
byte grantCtr[N * N];
byte crashes;
/* A restarted director: the peers whose whole state has not arrived yet, and whether it still grants nothing. */
byte syncPending[N];
bit quarantined[N];
/*
 * Not the code's, for T2: the counter of the last claim of c that i granted
 * (it stands for c's claim even after c's presence replaced the grant), and
 * what a crashed director lost: the claims it had granted that were still
 * running when it crashed, kept until its quarantine ends.
 */
byte gaveCtr[N * N];
byte lostCtr[N * N];
/* Not the code's: director i's view of peer p's presence counter when i's claim round in progress began (for T2). */
byte roundView[N * N];
bit hostUsed;
#ifdef LIVENESS
/* A login waiting because its view shows the user elsewhere (the move hold): its host. */
byte held[N];
#endif

chan presLink[N * (N - 1)] = [PRES_CAP] of { byte, byte };          /* host, counter */
chan claimLink[N * (N - 1)] = [CLAIM_CAP] of { bit, byte, byte };   /* release?, host, counter */
chan replyLink[N * (N - 1)] = [REPLY_CAP] of { bit, byte };         /* granted?, counter */

/* Scratch of one atomic step: written before it is read, so not part of the state. */
hidden byte rh, rc;
hidden byte rb;
hidden byte blocked;

/* I1: no two directors' sessions on different hosts. */
#define two_backends \
  ((sess[0] != NONE && sess[1] != NONE && sess[0] != sess[1]) || \
   (sess[0] != NONE && sess[2] != NONE && sess[0] != sess[2]) || \
   (sess[1] != NONE && sess[2] != NONE && sess[1] != sess[2]))

/* Director i's view holds the user through peer p on a host other than hh: p's presence, or i's grant to p (moves.ts #heldElsewhere). */
#define held_by(i, p, hh) \
  ((pres[V(i, p)] != NONE && pres[V(i, p)] != hh) || (grant[V(i, p)] != NONE && grant[V(i, p)] != hh))
#define held_elsewhere(i, hh) (held_by(i, PEER1(i), hh) || held_by(i, PEER2(i), hh))

/* Director i publishes its presence (its own entry, a new counter) to both peers (publishNow / #flush). */
inline publish(i, hh) {
  if
  :: hh == NONE -> gaveCtr[V(PEER1(i), i)] = 0; gaveCtr[V(PEER2(i), i)] = 0   /* nothing of i's runs on a grant now */
  :: else -> skip
  fi;
  pres[V(i, i)] = hh;
  presCtr[V(i, i)]++;
  assert(nfull(presLink[L(i, PEER1(i))]) && nfull(presLink[L(i, PEER2(i))]));
  presLink[L(i, PEER1(i))]!hh, presCtr[V(i, i)];
  presLink[L(i, PEER2(i))]!hh, presCtr[V(i, i)]
}

/*
 * i answers p's claim of counter rc. An answer to a round that has already
 * ended changes nothing where it arrives (take_reply drops it), so it is not
 * sent, and a round's end drops the answers still on their way (drop_answers):
 * fewer states, the same runs.
 */
inline answer(i, p, b) {
  if
  :: claiming[p] != NONE && presCtr[V(p, p)] == rc ->
     assert(nfull(replyLink[L(i, p)]));
     replyLink[L(i, p)]!b, rc
  :: else -> skip
  fi
}
inline drop_answers(i) {
  roundView[V(i, PEER1(i))] = 0;
  roundView[V(i, PEER2(i))] = 0;
  do :: nempty(replyLink[L(PEER1(i), i)]) -> replyLink[L(PEER1(i), i)]?_, _ :: empty(replyLink[L(PEER1(i), i)]) -> break od;
  do :: nempty(replyLink[L(PEER2(i), i)]) -> replyLink[L(PEER2(i), i)]?_, _ :: empty(replyLink[L(PEER2(i), i)]) -> break od;
  skip   /* a d_step may not end in a loop's exit */
}

/* A login that passed its own view claims host hh (awaitExclusive -> acquire -> claimRing). */
inline claim(i, hh) {
  publish(i, hh);
#ifdef NO_QUORUM
  sess[i] = hh;
  assert(!two_backends)
#else
  claiming[i] = hh;
  granted[i] = BIT(i);
  /* Only a round that begins while a peer is quarantined can still run when its TTL is up. */
  if
  :: quarantined[PEER1(i)] || quarantined[PEER2(i)] ->
     roundView[V(i, PEER1(i))] = presCtr[V(i, PEER1(i))];
     roundView[V(i, PEER2(i))] = presCtr[V(i, PEER2(i))]
  :: else -> skip
  fi;
  assert(nfull(claimLink[L(i, PEER1(i))]) && nfull(claimLink[L(i, PEER2(i))]));
  claimLink[L(i, PEER1(i))]!0, hh, presCtr[V(i, i)];
  claimLink[L(i, PEER2(i))]!0, hh, presCtr[V(i, i)]
#endif
}

/* The round got no majority (a refusal, or the timeout): withdraw the claim everywhere (awaitExclusive after acquire). */
inline withdraw(i) {
  publish(i, NONE);
  assert(nfull(claimLink[L(i, PEER1(i))]) && nfull(claimLink[L(i, PEER2(i))]));
  claimLink[L(i, PEER1(i))]!1, claiming[i], 0;
  claimLink[L(i, PEER2(i))]!1, claiming[i], 0;
  claiming[i] = NONE;
  granted[i] = 0;
  drop_answers(i)
}

/* Director i takes in peer p's presence (rh, rc): only a newer counter changes the entry, and only a changed entry ends p's grant here (ring-claims.ts onEntries -> presenceSeen). */
inline see_pres(i, p) {
  if
  :: rc > presCtr[V(i, p)] ->
     pres[V(i, p)] = rh;
     presCtr[V(i, p)] = rc;
     if
     :: grant[V(i, p)] != NONE && rc >= grantCtr[V(i, p)] -> grant[V(i, p)] = NONE; grantCtr[V(i, p)] = 0
     :: else -> skip
     fi
  :: else -> skip
  fi
}

inline end_quarantine(i) {
  quarantined[i] = 0;
  lostCtr[V(i, PEER1(i))] = 0;
  lostCtr[V(i, PEER2(i))] = 0
}

/* A presence update from p (the gossip stream); with dup, it stays on the channel to arrive again. */
inline recv_pres(i, p) {
  presLink[L(p, i)]?rh, rc;
  see_pres(i, p)
}
inline recv_pres_dup(i, p) {
  presLink[L(p, i)]?rh, rc;
  see_pres(i, p);
  see_pres(i, p)
}

/* p's claim or release arrives at i (ring-claims.ts setClaimHandler -> claims.ts decide / release). */
inline recv_claim(i, p) {
  claimLink[L(p, i)]?rb, rh, rc;
  if
  :: rb -> grant[V(i, p)] = NONE; grantCtr[V(i, p)] = 0
  :: else ->
     blocked =
#ifndef NO_RESTART_QUARANTINE
       quarantined[i] ||
#endif
       (pres[V(i, i)] != NONE && pres[V(i, i)] != rh) ||
       (pres[V(i, THIRD(i, p))] != NONE && pres[V(i, THIRD(i, p))] != rh) ||
       (grant[V(i, THIRD(i, p))] != NONE && grant[V(i, THIRD(i, p))] != rh);
     if
     :: blocked -> answer(i, p, 0)
     :: else ->
        grant[V(i, p)] = rh;
        grantCtr[V(i, p)] = rc;
        if :: crashes < MAX_CRASHES -> gaveCtr[V(i, p)] = rc :: else -> skip fi;   /* read only by a crash to come */
        answer(i, p, 1)
     fi
  fi
}

/* p's answer to i's claim: a late one (another round, or none in progress) is dropped, as claimRing's settled promise drops it. */
inline take_reply(i, p) {
  if
  :: claiming[i] != NONE && rc == presCtr[V(i, i)] ->
     if
     :: rb ->
        granted[i] = granted[i] | BIT(p);
        if
        :: COUNT(granted[i]) >= MAJORITY ->
           sess[i] = claiming[i];
           claiming[i] = NONE;
           granted[i] = 0;
           drop_answers(i);
           assert(!two_backends)
        :: else -> skip
        fi
     :: else -> withdraw(i)
     fi
  :: else -> skip
  fi
}
inline recv_reply(i, p) {
  replyLink[L(p, i)]?rb, rc;
  take_reply(i, p)
}
inline recv_reply_dup(i, p) {
  replyLink[L(p, i)]?rb, rc;
  take_reply(i, p);
  take_reply(i, p)
}

/* T1: i's grant to c expires once c has nothing running. */
#define may_expire(i, c) (grant[V(i, c)] != NONE && sess[c] == NONE && claiming[c] == NONE)

/*
 * T2: the grant i held for c when it crashed would have ended by now: c has
 * nothing running, or c's presence with that counter has reached the third
 * director t, and t's claim round in progress (if any) began with it in
 * view (a round lasts at most the claim timeout, far below the 10 s, so a
 * round still running at the TTL began seconds after the restart).
 */
#define lost_gone(i, c) \
  (lostCtr[V(i, c)] == 0 || (sess[c] == NONE && claiming[c] == NONE) || \
   (presCtr[V(THIRD(i, c), c)] >= lostCtr[V(i, c)] && \
    (claiming[THIRD(i, c)] == NONE || roundView[V(THIRD(i, c), c)] >= lostCtr[V(i, c)])))

#ifdef NO_LOSS
#define LOSS(p)
#else
#define LOSS(p) \
  :: d_step { claimLink[L(p, i)]?_, _, _ } \
  :: d_step { replyLink[L(p, i)]?_, _ }
#endif

/* What reaches director i from peer p, and what may be lost on the way. */
#define PEER_STEPS(p) \
  :: d_step { recv_pres(i, p) } \
  :: d_step { recv_pres_dup(i, p) } \
  :: d_step { recv_claim(i, p) } \
  :: d_step { recv_reply(i, p) } \
  :: d_step { recv_reply_dup(i, p) } \
  LOSS(p) \
  :: d_step { may_expire(i, p) -> grant[V(i, p)] = NONE; grantCtr[V(i, p)] = 0 } \
  :: d_step { syncPending[i] & BIT(p) -> \
       syncPending[i] = syncPending[i] & ~BIT(p); \
       rh = pres[V(p, p)]; rc = presCtr[V(p, p)]; \
       see_pres(i, p); \
       if :: syncPending[i] == 0 && quarantined[i] -> end_quarantine(i) :: else -> skip fi }

/* Drop everything on its way to director i: the connections die with it. */
inline flush_to(i, p) {
  do :: nempty(presLink[L(p, i)]) -> presLink[L(p, i)]?_, _ :: empty(presLink[L(p, i)]) -> break od;
  do :: nempty(claimLink[L(p, i)]) -> claimLink[L(p, i)]?_, _, _ :: empty(claimLink[L(p, i)]) -> break od;
  do :: nempty(replyLink[L(p, i)]) -> replyLink[L(p, i)]?_, _ :: empty(replyLink[L(p, i)]) -> break od;
  skip
}
inline forget_peer(i, p) {
#ifndef NO_RESTART_QUARANTINE
  if
  :: gaveCtr[V(i, p)] != 0 && gaveCtr[V(i, p)] == presCtr[V(p, p)] && (claiming[p] != NONE || sess[p] != NONE) ->
     lostCtr[V(i, p)] = gaveCtr[V(i, p)]
  :: else -> skip
  fi;
#endif
  gaveCtr[V(i, p)] = 0;
  grant[V(i, p)] = NONE; grantCtr[V(i, p)] = 0;
  pres[V(i, p)] = NONE; presCtr[V(i, p)] = 0;
  flush_to(i, p)
}

#ifndef LOGIN_DIRECTORS
#define LOGIN_DIRECTORS N
#endif
#ifdef GRANTS_ONLY_QUARANTINE
#define login_quarantined(i) 0
#else
#define login_quarantined(i) quarantined[i]
#endif
#define can_login(i, hh) (i < LOGIN_DIRECTORS && !login_quarantined(i) && claiming[i] == NONE && sess[i] == NONE && logins[i] < MAX_LOGINS && ((hh) == 1 || hostUsed))

#ifdef LIVENESS
/* A login starts and is held while its view shows the user elsewhere; it proceeds once not. */
#define LOGIN(hh) \
  :: d_step { can_login(i, hh) && held[i] == NONE -> logins[i]++; held[i] = hh; hostUsed = 1 } \
  :: d_step { held[i] == hh && !held_elsewhere(i, hh) -> held[i] = NONE; claim(i, hh) }
#else
/* A login held by its view waits and may proceed later: the same as a login that starts later, so only the one that goes ahead is a step. */
#define LOGIN(hh) \
  :: d_step { can_login(i, hh) && !held_elsewhere(i, hh) -> logins[i]++; hostUsed = 1; claim(i, hh) }
#endif

proctype director(byte i) {
end:
  do
  LOGIN(1)
  LOGIN(2)
  /* A session ends (logout, kick, move, backend gone, fencing): presence back to none. */
  :: d_step { sess[i] != NONE -> sess[i] = NONE; publish(i, NONE) }
  PEER_STEPS(PEER1(i))
  PEER_STEPS(PEER2(i))
#ifndef NO_RESTART_QUARANTINE
  /* T2: the grant TTL has passed since the restart. */
  :: d_step { quarantined[i] && lost_gone(i, PEER1(i)) && lost_gone(i, PEER2(i)) -> end_quarantine(i) }
#endif
  /* The process dies and starts again. */
  :: d_step {
       crashes < MAX_CRASHES ->
       crashes++;
       sess[i] = NONE;
       claiming[i] = NONE;
       granted[i] = 0;
       roundView[V(i, PEER1(i))] = 0;
       roundView[V(i, PEER2(i))] = 0;
       forget_peer(i, PEER1(i));
       forget_peer(i, PEER2(i));
       syncPending[i] = BIT(PEER1(i)) | BIT(PEER2(i));
#ifndef NO_RESTART_QUARANTINE
       quarantined[i] = 1;
#endif
#ifdef LIVENESS
       held[i] = NONE;
#endif
       /* Its old entry says where it held the user: a newer one says nothing (presence.ts #checkOwn). */
       if :: pres[V(i, i)] != NONE -> publish(i, NONE) :: else -> skip fi
     }
  od
}

/* The claim round's timeout (claimRing's timer) and limits.move_wait: a process of their own, so weak fairness makes them fire. */
proctype timer(byte i) {
end:
  do
  :: d_step { claiming[i] != NONE -> withdraw(i) }
#ifdef LIVENESS
  :: d_step { held[i] != NONE -> held[i] = NONE }   /* the temporary failure */
#endif
  od
}

#ifdef LIVENESS
#define busy(i) (claiming[i] != NONE || held[i] != NONE)
ltl decided { [] (busy(0) -> <> !busy(0)) && [] (busy(1) -> <> !busy(1)) && [] (busy(2) -> <> !busy(2)) }
#endif

init {
  atomic {
    run director(0); run director(1); run director(2);
    run timer(0); run timer(1); run timer(2)
  }
}
