"""Catalogue rows. Facts (codes, regexes, exit codes) follow the shared TWS domain notes; wording is ours.

Each row: signature_id, family, regex, templates, typical_rc, rc_note, root_cause, fix_steps,
transient, outcome, specificity, source_url.
"""

from __future__ import annotations

ENTRIES: list[dict] = []


def _e(
    signature_id,
    family,
    regex,
    templates,
    typical_rc,
    rc_note,
    root_cause,
    fix_steps,
    *,
    transient=False,
    outcome="ABEND",
    specificity=3,
    source_url="",
):
    ENTRIES.append(
        {
            "signature_id": signature_id,
            "family": family,
            "regex": regex,
            "templates": tuple(templates),
            "typical_rc": typical_rc,
            "rc_note": rc_note,
            "root_cause": root_cause,
            "fix_steps": tuple(fix_steps),
            "transient": transient,
            "outcome": outcome,
            "specificity": specificity,
            "source_url": source_url,
        }
    )


# --- Oracle -------------------------------------------------------------------------------------
_e(
    "ORA_01555_SNAPSHOT_TOO_OLD",
    "oracle",
    r"ORA-01555:?\s*snapshot too old",
    ['ORA-01555: snapshot too old: rollback segment number {seg} with name "_SYSSMU{seg}_{n}$" too small'],
    19,
    "1 or 8 from most wrappers; 19 when SQL*Plus exits with SQL.SQLCODE (1555 mod 256)",
    "A long query needed old row versions (undo) that concurrent changes had already recycled: undo "
    "retention or the undo tablespace is too small, or the program commits while still fetching.",
    [
        "Rerun away from the heavy-DML window; it usually passes",
        "Increase UNDO_RETENTION and let the undo tablespace autoextend",
        "Break the query into key or date ranges",
        "Stop committing inside a loop over an open cursor",
        "Order the conflicting loads after the extract with a TWS dependency or resource",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-01555",
)
_e(
    "ORA_00060_DEADLOCK",
    "oracle",
    r"ORA-00060:?\s*deadlock detected",
    ["ORA-00060: deadlock detected while waiting for resource"],
    60,
    "wrapper-defined; 60 with EXIT SQL.SQLCODE",
    "Two sessions (usually two parallel batch jobs, or batch against online users) took locks on the "
    "same rows in opposite order; Oracle rolled back one statement.",
    [
        "Read the deadlock graph in the trace file referenced by the alert log",
        "Serialise the two jobs (TWS resource of quantity 1 or a follows dependency)",
        "Lock rows in a consistent order; index foreign keys",
        "Rerun the victim job",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-00060",
)
_e(
    "ORA_01017_LOGON_DENIED",
    "oracle",
    r"ORA-01017",
    ["ORA-01017: invalid username/password; logon denied"],
    1,
    "SQL*Plus gives up after the failed logon (SP2-0157) with rc 1",
    "The credential the job uses is wrong or stale: rotated in the database but not in the wallet, "
    "parameter file or TWS variable; sometimes the account is locked or expired.",
    [
        "Find which credential store the job reads",
        "Check DBA_USERS.ACCOUNT_STATUS for LOCKED or EXPIRED",
        "Update the stored secret and unlock the account",
        "Rerun",
        "Align password rotation with the batch calendar",
    ],
    source_url="https://docs.oracle.com/error-help/db/ora-01017",
)
_e(
    "ORA_12541_NO_LISTENER",
    "oracle",
    r"ORA-12541",
    ["ORA-12541: TNS:no listener", "ORA-12541: TNS:no listener (host {host} port {port})"],
    1,
    "1",
    "Nothing answers at the host/port of the connect descriptor: the listener or database host is down "
    "(maintenance, failover) or tnsnames/EZConnect points at the wrong place.",
    [
        "lsnrctl status on the database host; tnsping the alias from the agent",
        "Fix host/port in tnsnames.ora or the connect string",
        "Rerun once the listener is back",
        "For planned maintenance hold the stream or use recovery rerun with repeatevery",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-12541",
)
_e(
    "ORA_12154_TNS_RESOLVE",
    "oracle",
    r"ORA-12154",
    ["ORA-12154: TNS:could not resolve the connect identifier specified"],
    1,
    "1",
    "The client cannot find the connect alias: TNS_ADMIN/ORACLE_HOME missing from the non-interactive "
    "job environment, alias absent from this agent's tnsnames.ora, or a typo.",
    [
        "Print TNS_ADMIN and ORACLE_HOME from inside the job",
        "Source the Oracle profile in the script or in $HOME/.jobmanrc",
        "Add the alias on this agent or use host:port/service",
        "Rerun",
    ],
    source_url="https://docs.oracle.com/error-help/db/ora-12154",
)
_e(
    "ORA_03113_EOF_ON_CHANNEL",
    "oracle",
    r"ORA-03113",
    ["ORA-03113: end-of-file on communication channel"],
    1,
    "1; 41 with EXIT SQL.SQLCODE",
    "The session was cut mid-call: instance crash or restart, an internal error in the server process, "
    "or a firewall dropping a long idle connection.",
    [
        "Look for ORA-00600/ORA-07445 or a shutdown in the alert log at that time",
        "Compare firewall idle timeouts with call length (SQLNET.EXPIRE_TIME)",
        "Rerun once the database is stable",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-03113",
)
_e(
    "ORA_01653_TABLESPACE_FULL",
    "oracle",
    r"ORA-01653:?\s*unable to (?:extend table|increase tablespace)",
    ["ORA-01653: unable to extend table {table} by {n} in tablespace {tablespace}"],
    117,
    "wrapper-defined; 117 with EXIT SQL.SQLCODE",
    "The data tablespace has no free extent and cannot grow (autoextend off, MAXSIZE reached, or the "
    "filesystem/ASM disk group is full).",
    [
        "Add or resize a datafile",
        "Enable AUTOEXTEND with a sensible MAXSIZE",
        "Purge or archive old partitions",
        "Check for a partial load before rerunning",
        "Rerun",
    ],
    source_url="https://docs.oracle.com/error-help/db/ora-01653",
)
_e(
    "ORA_01652_TEMP_FULL",
    "oracle",
    r"ORA-01652:?\s*unable to (?:extend temp segment|grow)",
    ["ORA-01652: unable to extend temp segment by {n} in tablespace TEMP"],
    116,
    "wrapper-defined; 116 with EXIT SQL.SQLCODE",
    "A big sort or hash join used up TEMP, typically because several heavy jobs overlap or an execution "
    "plan regressed.",
    [
        "Rerun after the concurrent heavy jobs",
        "Enlarge TEMP or use a temp tablespace group",
        "Tune the statement / refresh optimizer statistics",
        "Stagger heavy jobs with a TWS resource",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-01652",
)
_e(
    "ORA_00054_RESOURCE_BUSY",
    "oracle",
    r"ORA-00054:?\s*resource busy",
    ["ORA-00054: resource busy and acquire with NOWAIT specified or timeout expired"],
    54,
    "wrapper-defined; 54 with EXIT SQL.SQLCODE",
    "DDL, TRUNCATE or partition maintenance met an object locked by another session.",
    [
        "Identify the blocking session",
        "Run after the conflicting job or set DDL_LOCK_TIMEOUT",
        "Kill an orphaned session only after checking it",
        "Rerun",
    ],
    transient=True,
    source_url="https://docs.oracle.com/error-help/db/ora-00054",
)
_e(
    "ORA_00001_UNIQUE_CONSTRAINT",
    "oracle",
    r"ORA-00001:?\s*unique constraint",
    ["ORA-00001: unique constraint ({constraint}) violated"],
    1,
    "wrapper-defined; 1 with EXIT SQL.SQLCODE",
    "The load inserted keys that already exist: a rerun after a partial load, duplicate input rows, or "
    "two feeds loading the same business day.",
    [
        "Check whether an earlier partial run already inserted the batch",
        "Make the load idempotent (MERGE, or delete by batch id then insert)",
        "Deduplicate the input",
        "Rerun",
    ],
    source_url="https://docs.oracle.com/error-help/db/ora-00001",
)
_e(
    "SQLLDR_REJECTS",
    "oracle",
    r"MAXIMUM ERROR COUNT EXCEEDED|SQL\*Loader-\d{3,5}:",
    [
        "MAXIMUM ERROR COUNT EXCEEDED - Above statistics reflect partial run.",
        "SQL*Loader-500: Unable to open file ({file})",
    ],
    2,
    "2 = rows rejected or load stopped; 1 = failure; 3 = fatal (UNIX)",
    "SQL*Loader rejected more rows than ERRORS= allows (bad or reformatted feed, wrong control file); "
    "the rejected records are in the .bad file.",
    [
        "Read the .log and .bad files for the first rejected record",
        "Fix the feed or control file (field order, date mask, delimiter)",
        "Decide whether rc 2 should count as success (TWS success condition)",
        "Truncate the partial load and reload",
    ],
    source_url="https://docs.oracle.com/en/database/oracle/oracle-database/19/sutil/",
)

# --- Db2 ----------------------------------------------------------------------------------------
_e(
    "DB2_SQL0911N_DEADLOCK_TIMEOUT",
    "db2",
    r"SQL0911N|SQLCODE\s*[=:]\s*-911",
    [
        (
            "SQL0911N  The current transaction has been rolled back because of a deadlock or timeout.  "
            'Reason code "{seg}".  SQLSTATE=40001'
        )
    ],
    4,
    "4 (Db2 CLP SQL error)",
    "Lock contention: reason 2 means deadlock victim, 68 lock timeout; usually two batch jobs on the "
    "same tables or a long online transaction holding locks.",
    [
        "Read the reason code",
        "Find the lock holder (db2pd -locks)",
        "Commit more often in the batch program",
        "Serialise the conflicting jobs",
        "Rerun",
    ],
    transient=True,
    source_url="https://www.ibm.com/docs/en/db2/11.5?topic=messages-sql0500-sql0999",
)
_e(
    "DB2_SQL0803N_DUPLICATE_KEY",
    "db2",
    r"SQL0803N|SQLCODE\s*[=:]\s*-803",
    [
        (
            "SQL0803N  One or more values in the INSERT statement, UPDATE statement, or foreign key update "
            "caused by a DELETE statement are not valid because the primary key, unique constraint or unique "
            'index identified by "1" constrains table "{table}" from having duplicate values for the index key.  '
            "SQLSTATE=23505"
        )
    ],
    4,
    "4 (Db2 CLP)",
    "Duplicate key on insert or update: a non-idempotent reload after a partial run, or duplicates in "
    "the source.",
    [
        "Look for rows left by the previous run",
        "Make the step restartable (MERGE or delete-then-insert)",
        "Deduplicate the input",
        "Rerun",
    ],
    source_url="https://www.ibm.com/docs/en/db2/11.5?topic=messages-sql0500-sql0999",
)
_e(
    "DB2_SQL0204N_UNDEFINED_NAME",
    "db2",
    r"SQL0204N|SQLCODE\s*[=:]\s*-204",
    ['SQL0204N  "{table}" is an undefined name.  SQLSTATE=42704'],
    4,
    "4 (Db2 CLP)",
    "The referenced object does not exist for the batch user's schema: dropped or renamed by a release, "
    "wrong CURRENT SCHEMA, or the job ran before the DDL was deployed.",
    [
        "Check the qualified name and CURRENT SCHEMA of the batch user",
        "Check recent deployments",
        "Create/restore the object or fix the reference",
        "Rerun",
    ],
    source_url="https://www.ibm.com/docs/en/db2/11.5?topic=messages-sql0000-sql0499",
)
_e(
    "DB2_SQL0964C_LOG_FULL",
    "db2",
    r"SQL096[45]C",
    ["SQL0964C  The transaction log for the database is full.  SQLSTATE=57011"],
    4,
    "4 or 8 (Db2 CLP)",
    "One unit of work outgrew the active log (no intermediate commits), the log is configured too small, "
    "or the archive destination is full so old logs cannot be released.",
    [
        "Commit in smaller batches",
        "Raise LOGSECOND/LOGFILSIZ",
        "Check free space in the archive log path",
        "Find the oldest open transaction",
        "Rerun",
    ],
    source_url="https://www.ibm.com/docs/en/db2/11.5?topic=messages-sql0500-sql0999",
)
_e(
    "DB2_SQL30081N_COMM_ERROR",
    "db2",
    r"SQL30081N",
    [
        (
            'SQL30081N  A communication error has been detected. Communication protocol being used: "TCP/IP".  '
            'Communication API being used: "SOCKETS".  Location where the error was detected: "{ip}".  '
            'Communication function detecting the error: "recv".  Protocol specific error code(s): "104", "*", '
            '"0".  SQLSTATE=08001'
        )
    ],
    4,
    "4 or 8 (Db2 CLP)",
    "TCP failure between the client and Db2; the errno says which: 111 refused (instance down), 104 reset, "
    "110 timed out (firewall or routing).",
    [
        "Decode the errno",
        "Check the Db2 instance and its port",
        "Check firewall idle timeouts and keepalive for long jobs",
        "Rerun when connectivity is back",
    ],
    transient=True,
    source_url="https://www.ibm.com/docs/en/db2/11.5?topic=messages-sql30000-sql30499",
)

# --- PostgreSQL ---------------------------------------------------------------------------------
_e(
    "PG_DEADLOCK_DETECTED",
    "postgres",
    r"ERROR:\s+deadlock detected",
    ["ERROR:  deadlock detected"],
    3,
    "3 (psql with ON_ERROR_STOP=1); SQLSTATE 40P01",
    "Two transactions waited on each other's row locks and PostgreSQL aborted one.",
    [
        "Read the DETAIL lines / server log for both statements",
        "Lock rows in a consistent order",
        "Serialise the conflicting jobs",
        "Rerun",
    ],
    transient=True,
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)
_e(
    "PG_UNIQUE_VIOLATION",
    "postgres",
    r"duplicate key value violates unique constraint",
    ['ERROR:  duplicate key value violates unique constraint "{constraint}"'],
    3,
    "3 (psql ON_ERROR_STOP); SQLSTATE 23505",
    "Insert of a key that already exists: rerun after a partial load or duplicate source rows.",
    [
        "Check rows left by the previous run",
        "Use INSERT ... ON CONFLICT or delete by batch id first",
        "Deduplicate the input",
        "Rerun",
    ],
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)
_e(
    "PG_AUTH_FAILED",
    "postgres",
    r"FATAL:\s+password authentication failed for user",
    [
        (
            'psql: error: connection to server at "{host}" ({ip}), port 5432 failed: FATAL:  password '
            'authentication failed for user "{user}"'
        )
    ],
    2,
    "2 (psql could not connect); SQLSTATE 28P01",
    "Wrong or rotated password in the job user's .pgpass or environment, or pg_hba.conf changed.",
    [
        "Check which .pgpass / PGPASSWORD the job user really uses",
        "Update the secret",
        "Check pg_hba.conf for the client address",
        "Rerun",
    ],
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)
_e(
    "PG_CONNECTION_REFUSED",
    "postgres",
    r"(?:could not connect to server|connection to server at .* failed).*Connection refused",
    ['psql: error: connection to server at "{host}" ({ip}), port 5432 failed: Connection refused'],
    2,
    "2 (psql); SQLSTATE 08001/08006",
    "Nothing listens on the database host/port: PostgreSQL down or restarting, failover under way, or "
    "the wrong port.",
    [
        "Check the server with pg_isready",
        "Check failover / virtual IP",
        "Rerun, with a recovery rerun delay if it overlaps maintenance",
    ],
    transient=True,
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)
_e(
    "PG_STATEMENT_TIMEOUT",
    "postgres",
    r"canceling statement due to (?:statement|lock) timeout",
    [
        "ERROR:  canceling statement due to statement timeout",
        "ERROR:  canceling statement due to lock timeout",
    ],
    3,
    "3 (psql ON_ERROR_STOP); SQLSTATE 57014/55P03",
    "statement_timeout or lock_timeout of the role was exceeded (slow plan, lock wait, data growth).",
    [
        "Inspect plans and locks at the time",
        "Tune the query or raise the timeout for the batch role only",
        "Avoid overlap with conflicting jobs",
        "Rerun",
    ],
    transient=True,
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)
_e(
    "PG_DISK_FULL",
    "postgres",
    r"could not (?:extend|write to) file .*No space left on device",
    ['ERROR:  could not extend file "base/{n}/{pid}.{seg}": No space left on device'],
    3,
    "3 (psql ON_ERROR_STOP); SQLSTATE 53100",
    "The filesystem holding the data directory or temp files is full.",
    [
        "Free or extend the data filesystem",
        "Check temp file usage of large sorts",
        "Vacuum or archive old data",
        "Rerun",
    ],
    source_url="https://www.postgresql.org/docs/current/errcodes-appendix.html",
)

# --- Java ---------------------------------------------------------------------------------------
_e(
    "JAVA_OOM",
    "java",
    r"java\.lang\.OutOfMemoryError(?::\s*(?:Java heap space|GC overhead limit exceeded|Metaspace|Direct "
    r"buffer memory|unable to create new native thread))?",
    [
        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
        'Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded',
    ],
    1,
    "1 uncaught; 3 with -XX:+ExitOnOutOfMemoryError; 137 if the kernel kills it first",
    "The JVM heap (or metaspace / native memory) is too small for the data volume, or memory leaks; "
    "month-end volume is a classic trigger.",
    [
        "Read which memory area ran out",
        "Raise -Xmx / MaxMetaspaceSize within host limits",
        "Take a heap dump and fix the leak",
        "Process the data in chunks",
        "Rerun",
    ],
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/technotes/guides/troubleshoot/memleaks002.html",
)
_e(
    "JAVA_NPE",
    "java",
    r"java\.lang\.NullPointerException",
    [
        (
            'Exception in thread "main" java.lang.NullPointerException: Cannot invoke "String.trim()" because '
            '"rec.{var}" is null'
        )
    ],
    1,
    "1",
    "A program bug exposed by unexpected data (missing field, empty file, null column) or a missing "
    "configuration property.",
    [
        "Read the first stack frame",
        "Find the record or setting that was null",
        "Fix data or code and validate input",
        "Rerun",
    ],
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/api/java/lang/NullPointerException.html",
)
_e(
    "JAVA_FILE_NOT_FOUND",
    "java",
    r"java\.io\.FileNotFoundException: .*\((?:No such file or directory|Permission denied|Access is denied|"
    r"The system cannot find the file specified)\)",
    [
        "java.io.FileNotFoundException: {file} (No such file or directory)",
        "java.io.FileNotFoundException: {file} (Permission denied)",
    ],
    1,
    "1",
    "The input has not been delivered yet, the business date or path resolved wrongly, or the logon "
    "user may not read/write the file.",
    [
        "Check the upstream transfer job and file timestamp",
        "Use a file dependency instead of a fixed start time",
        "Check path variables and permissions of the logon user",
        "Rerun",
    ],
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/api/java/io/FileNotFoundException.html",
)
_e(
    "JAVA_SOCKET_TIMEOUT",
    "java",
    r"java\.net\.SocketTimeoutException(?::\s*(?:Read timed out|connect timed out|timeout))?",
    ["java.net.SocketTimeoutException: Read timed out", "java.net.SocketTimeoutException: connect timed out"],
    1,
    "1",
    "The remote service (REST, SOAP, database driver) did not answer within the client timeout.",
    [
        "Check the remote service health and latency at that time",
        "Review connect/read timeouts",
        "Retry with backoff or add a recovery rerun",
        "Rerun",
    ],
    transient=True,
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/api/java/net/SocketTimeoutException.html",
)
_e(
    "JAVA_CONNECT_REFUSED",
    "java",
    r"java\.net\.ConnectException: Connection refused",
    ["java.net.ConnectException: Connection refused (Connection refused)"],
    1,
    "1",
    "The target host is reachable but nothing listens on the port (service down or restarting, wrong port).",
    [
        "Check the service and port from the agent host",
        "Fix the endpoint configuration",
        "Rerun after the service is up",
    ],
    transient=True,
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/api/java/net/ConnectException.html",
)
_e(
    "JAVA_CLASSPATH",
    "java",
    r"ClassNotFoundException|NoClassDefFoundError|Could not find or load main class",
    [
        "Error: Could not find or load main class {class}",
        'Exception in thread "main" java.lang.NoClassDefFoundError: {class}',
    ],
    1,
    "1",
    "Incomplete class path on this agent: jar not deployed, JAVA_HOME/CLASSPATH differ in the "
    "non-interactive job environment, or a version mismatch after a release.",
    [
        "Print the java command line and CLASSPATH from the job",
        "Check the jar on every pool member",
        "Set the environment in the script or .jobmanrc",
        "Rerun",
    ],
    specificity=2,
    source_url="https://docs.oracle.com/javase/8/docs/api/java/lang/ClassNotFoundException.html",
)

# --- Shell --------------------------------------------------------------------------------------
_e(
    "SH_COMMAND_NOT_FOUND",
    "shell",
    r"(?:line \d+: )?\S+: command not found",
    ["{script}: line {line}: {cmd}: command not found"],
    127,
    "127",
    "The command is not on the PATH of the job environment (jobmanrc sets a minimal PATH) or the tool is "
    "not installed on this agent.",
    [
        "Use absolute paths",
        "Export PATH in the script or $HOME/.jobmanrc",
        "Check the binary on every agent of the pool",
        "Rerun",
    ],
    specificity=2,
    source_url="https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html",
)
_e(
    "SH_NO_SUCH_FILE",
    "shell",
    r"No such file or directory",
    [
        "cp: cannot stat '{file}': No such file or directory",
        "mv: cannot stat '{file}': No such file or directory",
    ],
    1,
    "1; 127 when the job script itself is missing",
    "An expected file or directory is missing: late or failed upstream delivery, wrong business-date "
    "substitution, a moved path, or an unresolved ^VAR^ in the path.",
    [
        "Check the upstream job and the file arrival time",
        "Verify date and variable resolution",
        "Use a file dependency instead of a fixed time",
        "Rerun after the file arrives",
    ],
    specificity=1,
    source_url="https://man7.org/linux/man-pages/man3/errno.3.html",
)
_e(
    "SH_PERMISSION_DENIED",
    "shell",
    r"Permission denied",
    ["bash: {script}: Permission denied", "{script}: line {line}: {file}: Permission denied"],
    126,
    "126 when launching the script; 1 inside it",
    "Execute bit missing, a noexec mount, wrong owner or umask after a deployment, or the job runs as an "
    "unexpected logon user.",
    [
        "ls -l the script and its directory",
        "chmod/chown for the job's logon user",
        "Check the mount options",
        "Rerun",
    ],
    specificity=1,
    source_url="https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html",
)
_e(
    "SH_BAD_INTERPRETER",
    "shell",
    r"bad interpreter: (?:No such file or directory|Permission denied)",
    ["/bin/sh: {script}: /bin/bash^M: bad interpreter: No such file or directory"],
    126,
    "126",
    "The script has Windows line endings (a carriage return in the shebang) or the shebang names a "
    "missing interpreter.",
    [
        "Convert the line endings (dos2unix)",
        "Fix the shebang",
        "Check line endings in the deployment pipeline",
        "Rerun",
    ],
    specificity=2,
    source_url="https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html",
)
_e(
    "SH_NO_SPACE_LEFT",
    "shell",
    r"No space left on device",
    [
        "gzip: {file}.gz: No space left on device",
        "cp: error writing '{file}': No space left on device",
        "tar: {dir}/backup_{date}.tar: Wrote only {n} of 10240 bytes: No space left on device",
    ],
    1,
    "1",
    "The filesystem is full (output area, /tmp or the TWS stdlist filesystem) or out of inodes.",
    [
        "df -h and df -i on the target filesystem",
        "Clean or archive old files, including old stdlist folders",
        "Extend the filesystem",
        "Rerun and check no truncated output remains",
    ],
    specificity=1,
    source_url="https://man7.org/linux/man-pages/man3/errno.3.html",
)
_e(
    "SH_KILLED_SIGKILL_OOM",
    "shell",
    r"(?:^|\s)Killed(?:\s|$)|Out of memory: Killed process \d+",
    ["{script}: line {line}: {pid} Killed                  java -Xmx8g -jar batch.jar"],
    137,
    "137 (128 + SIGKILL)",
    "The process got SIGKILL: the kernel OOM killer (host or cgroup limit) or an operator kill.",
    [
        "Check dmesg / the journal for OOM kills",
        "Check cgroup/container memory limits",
        "Reduce memory or parallelism, or add memory",
        "Rerun",
    ],
    specificity=2,
    source_url="https://man7.org/linux/man-pages/man7/signal.7.html",
)
_e(
    "SH_SEGFAULT",
    "shell",
    r"Segmentation fault(?: \(core dumped\))?",
    ["{script}: line {line}: {pid} Segmentation fault      (core dumped) /apps/legacy/bin/{cmd}"],
    139,
    "139 (128 + SIGSEGV)",
    "A native program crashed: bad input record, library mismatch after an OS patch, or stack overflow.",
    [
        "Inspect the core file",
        "Check recent OS and library changes",
        "Isolate the input record",
        "Rerun after the fix",
    ],
    specificity=2,
    source_url="https://man7.org/linux/man-pages/man7/signal.7.html",
)
_e(
    "SH_TERMINATED_SIGTERM",
    "shell",
    r"(?:^|\s)Terminated(?:\s|$)",
    ["{script}: line {line}: {pid} Terminated              sleep 3600"],
    143,
    "143 (128 + SIGTERM)",
    "The process got SIGTERM: a timeout wrapper, a host shutdown, or an operator stop.",
    [
        "Find who sent the signal (timeouts, shutdown logs)",
        "Move the job away from maintenance windows",
        "Rerun",
    ],
    transient=True,
    specificity=2,
    source_url="https://man7.org/linux/man-pages/man7/signal.7.html",
)
_e(
    "SH_UNBOUND_VARIABLE",
    "shell",
    r"[A-Za-z_][A-Za-z0-9_]*: unbound variable",
    ["{script}: line {line}: {var}: unbound variable"],
    1,
    "1",
    "The script runs with set -u and expects a variable from an interactive profile or a parameter that "
    "the TWS job environment does not set.",
    [
        "Pass the value as a job argument or TWS variable",
        "Source the profile in the script or .jobmanrc",
        "Give defaults (${VAR:-...})",
        "Rerun",
    ],
    specificity=2,
    source_url="https://www.gnu.org/software/bash/manual/html_node/The-Set-Builtin.html",
)

# --- Network ------------------------------------------------------------------------------------
_e(
    "NET_CONNECTION_REFUSED",
    "network",
    r"Connection refused",
    ["curl: (7) Failed to connect to {host} port {port} after {ms} ms: Connection refused"],
    7,
    "7 (curl); 1 for most tools",
    "The host answers but no service listens on the port (service down, wrong port, REJECT rule).",
    [
        "Test the port from the agent (nc -vz / curl -v)",
        "Check the remote service",
        "Fix the endpoint",
        "Rerun",
    ],
    transient=True,
    specificity=1,
    source_url="https://curl.se/libcurl/c/libcurl-errors.html",
)
_e(
    "NET_TIMEOUT",
    "network",
    r"Connection timed out|Operation timed out|timed out after \d+",
    [
        "curl: (28) Operation timed out after {ms} milliseconds with 0 bytes received",
        "ssh: connect to host {host} port 22: Connection timed out",
    ],
    28,
    "28 (curl); 255 (ssh); 1 otherwise",
    "Packets are dropped or the endpoint is too slow: firewall DROP rule, routing/VPN trouble, "
    "overloaded remote side.",
    [
        "Check firewall rules for the agent's address",
        "Check remote latency",
        "Raise the timeout only if the service is legitimately slow",
        "Add a recovery rerun",
        "Rerun",
    ],
    transient=True,
    specificity=1,
    source_url="https://curl.se/libcurl/c/libcurl-errors.html",
)
_e(
    "NET_DNS_RESOLUTION",
    "network",
    r"Could not resolve host|Could not resolve hostname|Name or service not known|Temporary failure in name resolution",
    [
        "ssh: Could not resolve hostname {host}: Name or service not known",
        "curl: (6) Could not resolve host: {host}",
    ],
    6,
    "6 (curl); 255 (ssh/sftp)",
    "The agent cannot resolve the name (typo, record removed, resolver down, missing /etc/hosts entry).",
    ["nslookup/dig from the agent", "Fix the DNS record or resolver configuration", "Rerun"],
    transient=True,
    specificity=2,
    source_url="https://curl.se/libcurl/c/libcurl-errors.html",
)
_e(
    "NET_TLS_CERTIFICATE",
    "network",
    r"SSL certificate problem|certificate verify failed|PKIX path building failed|certificate has expired",
    [
        "curl: (60) SSL certificate problem: certificate has expired",
        "javax.net.ssl.SSLHandshakeException: PKIX path building failed",
    ],
    60,
    "60 (curl); 1 (Java/Python)",
    "The server certificate expired, is untrusted, or an intermediate CA is missing from the job's trust store.",
    ["Inspect the chain (openssl s_client -showcerts)", "Renew the certificate or import the CA", "Rerun"],
    specificity=2,
    source_url="https://curl.se/libcurl/c/libcurl-errors.html",
)

# --- File transfer ------------------------------------------------------------------------------
_e(
    "XFER_SSH_AUTH_DENIED",
    "transfer",
    r"Permission denied \((?:publickey|password|keyboard-interactive|gssapi)[^)]*\)",
    ["{user}@{host}: Permission denied (publickey,password)."],
    255,
    "255 (ssh/sftp/scp)",
    "The key is not authorised on the partner, was rotated, the remote user is wrong, or the private "
    "key / .ssh permissions are too open so ssh ignores the key.",
    [
        "Run sftp -vvv -oBatchMode=yes as the job's logon user",
        "Check the partner's authorized_keys",
        "Make ~/.ssh 700 and the key 600, owned by the logon user",
        "Rerun",
    ],
    specificity=2,
    source_url="https://man.openbsd.org/ssh",
)
_e(
    "XFER_HOST_KEY_VERIFICATION",
    "transfer",
    r"Host key verification failed",
    ["Host key verification failed."],
    255,
    "255 (ssh/sftp/scp)",
    "The partner's host key changed (rebuild, migration) or was never stored for the logon user; batch "
    "mode cannot ask.",
    ["Confirm the new fingerprint with the partner", "Update known_hosts of the logon user", "Rerun"],
    specificity=2,
    source_url="https://man.openbsd.org/ssh",
)
_e(
    "XFER_SFTP_REMOTE_FILE_MISSING",
    "transfer",
    r"Couldn't stat remote file|File \".+\" not found|remote open\(\".+\"\): No such file or directory",
    ['File "{remote_file}" not found.', "Couldn't stat remote file: {remote_file}"],
    1,
    "1 (sftp batch mode)",
    "The partner has not produced the file yet, uses another naming/date convention, or a previous run "
    "already moved it.",
    [
        "List the remote directory",
        "Agree naming and date rules with the partner",
        "Poll with a file start condition instead of a fixed time",
        "Rerun when the file is there",
    ],
    specificity=2,
    source_url="https://man.openbsd.org/sftp",
)
_e(
    "XFER_FTP_530_LOGIN",
    "transfer",
    r"^530[ -]",
    ["530 Login incorrect."],
    67,
    "plain ftp scripts often end 0; 67 from curl (login denied)",
    "FTP credentials are wrong or expired, or the account is locked.",
    [
        "Check the credential source of the job",
        "Have the partner unlock/reset the account",
        "Make the ftp wrapper fail on 4xx/5xx replies",
        "Rerun",
    ],
    specificity=2,
    source_url="https://www.rfc-editor.org/rfc/rfc959",
)
_e(
    "XFER_FTP_550_FILE_UNAVAILABLE",
    "transfer",
    r"^550[ -]",
    ["550 {remote_file}: No such file or directory"],
    78,
    "plain ftp scripts often end 0; 78 from curl (remote file not found)",
    "The file or directory does not exist on the FTP server, or the account may not access it.",
    [
        "Verify remote path, name and permissions",
        "Make the wrapper check reply codes",
        "Rerun once the file exists",
    ],
    specificity=2,
    source_url="https://www.rfc-editor.org/rfc/rfc959",
)
_e(
    "XFER_FTP_425_DATA_CONNECTION",
    "transfer",
    r"^42[56][ -]",
    ["425 Can't open data connection.", "426 Connection closed; transfer aborted."],
    1,
    "client-dependent (plain ftp often 0)",
    "The data channel is blocked: active/passive mismatch, firewall or NAT not passing the data ports, "
    "or the transfer was aborted.",
    ["Switch to passive mode", "Open the passive port range on firewalls", "Rerun"],
    transient=True,
    specificity=2,
    source_url="https://www.rfc-editor.org/rfc/rfc959",
)

# --- TWS / HWA itself ---------------------------------------------------------------------------
_e(
    "TWS_AWSBHT001E_LAUNCH_FAILED",
    "tws",
    r"AWSBHT001E",
    [
        (
            'AWSBHT001E The job "{ws}#{stream}.{job}" in file "{script}" has failed with the error: '
            '"Permission denied"'
        ),
        (
            'AWSBHT001E The job "{ws}#{stream}.{job}" in file "{script}" has failed with the error: '
            '"No such file or directory"'
        ),
    ],
    None,
    "no exit status: the job is FAIL",
    "Batchman/jobman could not start the job: stdlist directory not creatable, script not accessible, "
    "logon user/UID problem, root not allowed, cannot change to the home directory or fork the monitor.",
    [
        "Read the error text in the message",
        "Check that the logon user exists and may run jobs on that agent",
        "Check script path/permissions and the stdlist filesystem",
        "Fix and rerun (FAIL jobs can be rerun)",
    ],
    outcome="FAIL",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbht.html",
)
_e(
    "TWS_AWSBDW002E_INVALID_USER",
    "tws",
    r"AWSBDW002E",
    ["AWSBDW002E The user ID used to launch this job is not valid. The operating system error is: 1."],
    None,
    "no exit status: FAIL",
    "The job's logon user is not valid on the agent (deleted, renamed, missing from the Windows user "
    "database, setuid refused).",
    ["Check the job's logon", "Create or fix the OS user (and the TWS user on Windows)", "Rerun"],
    outcome="FAIL",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbdw.html",
)
_e(
    "TWS_AWSBDW005E_JCL_OPEN",
    "tws",
    r"AWSBDW005E",
    ['AWSBDW005E Error "No such file or directory" occurred while trying to open JCL file "{script}".'],
    None,
    "no exit status: FAIL",
    "The script named in the job definition is missing or unreadable for the logon user on that agent "
    "(not deployed to this pool member, path typo).",
    [
        "Check the path on the exact agent that ran it",
        "Deploy the script to all pool members",
        "Fix permissions",
        "Rerun",
    ],
    outcome="FAIL",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbdw.html",
)
_e(
    "TWS_AWSBDW009E_PASSWD_LOOKUP",
    "tws",
    r"AWSBDW009E",
    [
        (
            "AWSBDW009E The following operating system error occurred retrieving the password structure for "
            "either the logon user, or the user who owns the executable: No such file or directory"
        )
    ],
    None,
    "no exit status: FAIL",
    "Looking up the logon user failed at launch (user missing locally, LDAP/NIS/SSSD unavailable).",
    ["Run id <user> on the agent", "Check LDAP/SSSD health", "Rerun once name service is back"],
    transient=True,
    outcome="FAIL",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbdw.html",
)
_e(
    "TWS_AWSBDW057E_NOT_LAUNCHED",
    "tws",
    r"AWSBDW057E",
    ['AWSBDW057E The job "{ws}#{stream}.{job}" was not launched for this reason: method returned an error'],
    None,
    "no exit status: FAIL",
    "An extended-agent access method refused or failed to start the job (method file error, bad options "
    "file, remote system unavailable).",
    ["Read the method's own trace", "Check the options file and the remote system", "Rerun"],
    outcome="FAIL",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbdw.html",
)
_e(
    "TWS_MAXDUR_EXCEEDED",
    "tws",
    r"AWSBHT203I|Maximum Duration time .* has exceeded",
    [
        "AWSBHT203I Job {ws}#{stream}.{job} Maximum Duration time 0200 has exceeded. The MaxDur user option is Kill"
    ],
    137,
    "kill option: ABEND with a signal-style rc (137/143); continue option: keeps running",
    "The job ran past its maximum duration: a hung process, a lock wait, a volume spike, or an "
    "unrealistic maxdur.",
    [
        "Find what the job waited on (locks, remote system, input size)",
        "Choose kill or continue deliberately",
        "Set maxdur from the historical duration",
        "Rerun if it was killed",
    ],
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbht.html",
)
_e(
    "TWS_UNTIL_REACHED",
    "tws",
    r"AWSBHT20[12]I|UNTIL time .* has occurred",
    ["AWSBHT202I Job {ws}#{stream}.{job} UNTIL time 0600 has occurred. The UNTIL user option is Suppr"],
    None,
    "not launched; suppressed, continued or cancelled per onuntil",
    "Dependencies (predecessor, file, resource, prompt) were still unmet when the until time came.",
    [
        "Find the unmet dependency",
        "Fix the upstream problem",
        "Submit or release the job by hand if still needed",
    ],
    outcome="SUPPR",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbht.html",
)
_e(
    "TWS_AGENT_HOSTNAME_RESOLUTION",
    "tws",
    r"AWSITA366E|AWSITA081E",
    [
        (
            "AWSITA081E The agent can not send resource information to the server at "
            '"https://{host}:31116/JobManagerRESTWeb/JobScheduler/resource".'
        )
    ],
    None,
    "none: dependencies stay HOLD",
    "A dynamic agent cannot reach or resolve the master/broker host name it was installed with, so "
    "resource and file-dependency status never reaches the engine.",
    [
        "Resolve the configured host name from the agent",
        "Fix DNS or /etc/hosts",
        "Restart the agent if needed",
        "Re-check the held jobs",
    ],
    outcome="HOLD",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsita.html",
)
_e(
    "TWS_PLUGIN_BAD_CREDENTIALS",
    "tws",
    r"AWKRAA210E|Incorrect user name or password",
    ["AWKRAA210E Incorrect user name or password"],
    1,
    "plug-in jobs end in error; the simulator reports rc 1",
    "Credentials stored in a plug-in job definition (database, Java, web service) or in the vault are "
    "wrong or expired.",
    [
        "Update the job definition credentials or the vault entry",
        "Test the connection from the agent",
        "Rerun",
    ],
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawkraa.html",
)
_e(
    "TWS_UNRESOLVED_VARIABLE",
    "tws",
    r"\^[A-Za-z][A-Za-z0-9_]*\^",
    ["/opt/hwa/TWS/jobmanrc: line 342: ^{var}^/extract.sh: No such file or directory"],
    127,
    "127 (1 when the literal ends up inside a PATH)",
    "The job references a ^VARIABLE^ missing from the variable table of its stream/run cycle; the "
    "literal text is passed on and the command fails.",
    [
        "Check the variable table bound to the stream and the variable name",
        "Add the variable or fix the reference",
        "Optionally fail fast in .jobmanrc on leftover carets",
        "Rerun",
    ],
    source_url="https://help.hcl-software.com/workloadautomation/v102/distr/src_ref/awsrgvartables.html",
)
_e(
    "TWS_ACTION_INVALID_STATE",
    "tws",
    r"AWSBIN076E",
    [
        (
            "AWSBIN076E The operation cannot be performed. The job or the current instance of the job is in an "
            "incorrect state."
        )
    ],
    None,
    "not a job exit code: REST HTTP 500 or a conman error",
    "An operator or API action does not fit the job's current state (e.g. kill on a finished job).",
    ["Re-read the job's current status", "Use the action that fits the state", "Retry"],
    outcome="API",
    source_url="https://help.hcl-software.com/workloadautomation/v95/common/src_ms/awsmsawsbin.html",
)

# --- Application conventions --------------------------------------------------------------------
_e(
    "APP_LOCK_ALREADY_RUNNING",
    "app",
    r"lock file .* exists|another instance (?:is )?(?:already )?running|already running",
    ["ERROR: lock file {lockfile} exists (pid {pid}) - another instance is running"],
    2,
    "script-defined (1 or 2 typical)",
    "The previous run of the same job is still active (overlap after a late start) or a killed run left "
    "a stale lock.",
    [
        "Check whether the recorded pid is alive",
        "Remove the lock only if its owner is dead",
        "Prevent overlap in TWS (onoverlap, resource of quantity 1)",
        "Rerun",
    ],
    transient=True,
    specificity=2,
)
_e(
    "APP_EMPTY_INPUT",
    "app",
    r"input file .* is empty|0 records? (?:read|processed|loaded)|zero[- ]byte file",
    ["WARN: input file {file} is empty (0 records read) - aborting"],
    4,
    "script-defined (often 4 or 8)",
    "The upstream step produced an empty or partial file (failed extract, transfer started before the "
    "file was complete).",
    [
        "Check the producer job's log and the file size/time",
        "Wait for completion flags or a stable size",
        "Rerun after a complete file arrives",
    ],
    specificity=2,
)
