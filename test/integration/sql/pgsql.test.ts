import { sqlSuite } from './sql-suite.js';

// PostgreSQL 15 through pg.
sqlSuite('pgsql');
