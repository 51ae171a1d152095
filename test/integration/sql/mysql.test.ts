import { sqlSuite } from './sql-suite.js';

// MariaDB (Debian's mariadb-server) through mysql2.
sqlSuite('mysql');
