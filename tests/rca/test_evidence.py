"""Error-line choice, families, entities and specific causes on small composed joblogs."""

from __future__ import annotations

import pytest

from resync_assets.lib.rca.engine import analyze
from resync_assets.lib.rca.entities import extract_db_objects, extract_hosts, extract_paths
from resync_assets.lib.rca.families import category_of, fallback_family

BANNER = "=" * 63
HEADER = [
    BANNER,
    "= JOB       : FTAPRD01#GL_CLOSE[(2330 03/14/25),(0AAAAAAAAAAACK4Q)].GL_EXTRACT_02",
    "= USER      : batchfin",
    "= JCLFILE   : /apps/fin/bin/gl_extract.sh -d 20250314",
    "= TWSRCMAP  :",
    "= AGENT     : FTAPRD01",
    "= Job Number: 48213",
    "= Fri Mar 14 23:41:07 CET 2025",
    BANNER,
    "WA for UNIX/JOBMANRC 10.2.5.00",
    "AWSBIS307I Starting /opt/hwa/TWS/jobmanrc /apps/fin/bin/gl_extract.sh",
    "WA for UNIX (LINUX)/JOBINFO 10.2.5.00",
    'Installed for user "batchfin".',
    'Locale LANG set to the following: "C"',
]
TRAILER = [
    "AWSBIS308I End of job",
    BANNER,
    "= Exit Status           : {rc}",
    "= Elapsed Time (hh:mm:ss) : 00:17:37",
    BANNER,
]


def joblog(body: list[str], rc: int = 1) -> tuple[str, int]:
    """A classic-agent joblog around `body`; also the 1-based number of the body's first line."""
    lines = HEADER + body + [t.format(rc=rc) for t in TRAILER]
    return "\n".join(lines) + "\n", len(HEADER) + 1


@pytest.mark.parametrize(
    ("body", "error_index", "family"),
    [
        # The example of docs/joblog_layout.md §2.4: ORA line, then the wrapper's generic failure line.
        (
            [
                "2025-03-14 23:41:08 INFO  gl_extract: business date 20250314",
                'ORA-01555: snapshot too old: rollback segment number 9 with name "_SYSSMU9_1203948812$" too small',
                "2025-03-14 23:58:44 ERROR gl_extract: step 1/3 failed, sqlplus exit=19",
            ],
            1,
            "oracle",
        ),
        # A Java stack trace: the exception line, not its `at` frames.
        (
            [
                "INFO  [main] Starting batch",
                'Exception in thread "main" java.lang.IllegalStateException: ledger closed',
                "\tat com.acme.Ledger.post(Ledger.java:42)",
                "\tat com.acme.Main.main(Main.java:7)",
            ],
            1,
            "java",
        ),
        # A Python traceback: uncatalogued exception line after the frames.
        (
            [
                "loading rates",
                "Traceback (most recent call last):",
                '  File "/apps/x/load.py", line 3, in <module>',
                "    main()",
                "KeyError: 'EUR'",
            ],
            4,
            "app",
        ),
        # Uncatalogued product code with E severity among noise.
        (
            [
                "2025-03-14 01:00:00 INFO  copying",
                "2025-03-14 01:00:01 INFO  0 errors so far",
                "XYZAB123E The remote vault rejected the upload request",
                "purge: 1 error(s), exiting 1",
            ],
            2,
            "app",
        ),
        # WARN lines before the real ERROR (the catalogue's generic "No such file" entry is a shell one).
        (
            [
                "2025-03-14 01:00:00 WARN  retrying connection to db01 after error",
                "2025-03-14 01:00:05 INFO  connected",
                "2025-03-14 01:00:09 ERROR Cannot open input /data/hr/in/employees.csv: No such file or directory",
                "2025-03-14 01:00:09 ERROR job failed rc=2",
            ],
            2,
            "shell",
        ),
    ],
)
def test_error_line_is_the_first_real_error(body, error_index, family):
    text, first = joblog(body)
    a = analyze(text)
    assert a.error_line_number == first + error_index
    assert a.error_line == body[error_index].rstrip()
    assert a.family == family


def test_missing_input_file_gets_a_specific_cause_and_commands():
    text, _ = joblog(["cp: cannot stat '/data/hr/in/employees.csv': No such file or directory"])
    a = analyze(text)
    assert a.cause == "missing input file /data/hr/in/employees.csv"
    assert a.files[0] == "/data/hr/in/employees.csv"
    commands = [s["command"] for s in a.steps if s["command"]]
    assert "ls -l /data/hr/in/employees.csv" in commands
    assert commands[-1] == "conman 'rr FTAPRD01#GL_CLOSE.GL_EXTRACT_02'"


def test_disk_full_names_the_mount_and_df():
    text, _ = joblog(["gzip: /data/fin/out/gl_20250314.dat.gz: No space left on device"])
    a = analyze(text)
    assert a.category == "filesystem"
    assert "/data/fin/out" in a.files
    assert {
        "text": "Check free space on the filesystem holding /data/fin",
        "command": "df -h /data/fin",
        "source": "rules",
        "suggestion": False,
    } in a.steps


def test_listener_down_suggests_lsnrctl():
    text, _ = joblog(["ORA-12541: TNS:no listener"])
    a = analyze(text)
    assert a.signature_id == "ORA_12541_NO_LISTENER" and a.transient
    assert "lsnrctl status" in [s["command"] for s in a.steps]


def test_log_without_output_falls_back_to_exit_status():
    text, _ = joblog([], rc=137)
    a = analyze(text)
    assert a.exit_status == 137
    assert a.family == "memory"
    assert "137" in a.cause


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ('FATAL:  password authentication failed for user "etl"', "authentication"),
        ("open /var/spool/x: permission denied", "permission"),
        ("write failed: No space left on device", "filesystem"),
        ("java.lang.OutOfMemoryError: GC overhead limit exceeded", "memory"),
        ("read tcp 10.0.0.1:5432: i/o timeout after 30s", "timeout"),
        ("dial tcp 10.1.1.1:443: connect: connection refused", "network"),
        ("input feed /in/rates.csv does not exist", "dependency"),
        ("syntax error near unexpected token `fi'", "script"),
        ("deadlock detected while updating ORDERS", "database"),
        ("the ledger balance check did not add up", "application"),
    ],
)
def test_generic_categories(line, category):
    assert category_of(line) == category


def test_product_prefixes_name_a_family_without_the_catalogue():
    assert fallback_family("ORA-04031: unable to allocate 4096 bytes of shared memory") == "oracle"
    assert fallback_family("SQL1224N  The database manager is not able to accept new requests.") == "db2"
    assert fallback_family("AWSJPL506E The job stream could not be added") == "tws"


def test_entities():
    line = (
        'psql: error: connection to server at "pgprd01.dc2.example.net" (10.20.5.31), port 5432 failed: '
        "could not open /var/lib/pg/x.conf"
    )
    assert extract_hosts(line)[:2] == ["pgprd01.dc2.example.net", "10.20.5.31"]
    assert extract_paths(line) == ["/var/lib/pg/x.conf"]
    assert extract_db_objects(
        "ORA-01653: unable to extend table DWH.ORDERS by 128 in tablespace DWH_DATA"
    ) == ["DWH.ORDERS", "DWH_DATA"]
    assert extract_paths("curl https://api.example/v1/batch failed") == []


def test_a_line_common_in_successful_runs_is_demoted():
    from resync_assets.lib.rca.engine import AnalysisContext
    from resync_assets.lib.rca.patterns import pattern_key

    noise = "2025-03-14 01:00:00 report: error rate 0.01 within limits"
    body = [noise, "2025-03-14 01:00:02 report: could not open template /apps/rpt/t.xml"]
    text, first = joblog(body)
    assert analyze(text).error_line_number == first  # without history the earlier line looks like the error
    ctx = AnalysisContext(known_ok={"GL_EXTRACT_02": {pattern_key(noise)}})
    assert analyze(text, context=ctx).error_line_number == first + 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2025-03-14 23:58:44 ERROR gl_extract: step 1/3 failed, sqlplus exit=19",
            "gl_extract: step 1/3 failed, sqlplus exit=19",
        ),
        ("ORA-12541: TNS:no listener", "ORA-12541: TNS:no listener"),
        (
            "2015-07-29 17:41:44,747 - ERROR  [QuorumPeer[myid=1]/0:2181:NIOServerCnxn@363] - Unexpected Exception:",
            "Unexpected Exception:",
        ),
        (
            (
                "2015-10-18 18:01:47,978 ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm."
                "RMContainerAllocator: ERROR IN CONTACTING RM."
            ),
            "ERROR IN CONTACTING RM.",
        ),
        ("Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown", "check pass; user unknown"),
    ],
)
def test_cause_text_drops_log_prefixes(line, message):
    from resync_assets.lib.rca.advice import message_of

    assert message_of(line) == message


def test_cleanup_errors_after_the_wrapper_summary_do_not_win():
    body = [
        "2025-03-14 01:00:00 ERROR extract: cannot open /data/in/feed.csv",
        "extract: step 2/3 failed, rc=2",
        "rm: cannot remove '/var/run/extract.lock': Permission denied",
    ]
    text, first = joblog(body)
    assert analyze(text).error_line_number == first


def test_stack_trace_error_line_is_the_first_exception_and_the_root_cause_names_the_cause():
    body = [
        "2025-03-14 01:00:00 INFO  [main] start",
        'Exception in thread "main" java.lang.RuntimeException: load of GL failed',
        "\tat com.acme.Load.run(Load.java:10)",
        "Caused by: java.sql.SQLException: ORA-00942: table or view does not exist",
        "\tat oracle.jdbc.x(x.java:1)",
        "Caused by: java.io.FileNotFoundException: /data/in/x.csv (No such file or directory)",
        "\t... 5 more",
    ]
    text, first = joblog(body)
    a = analyze(text)
    assert a.error_line_number == first + 1
    assert a.signature_id == "JAVA_FILE_NOT_FOUND" and a.family == "java"
    assert a.cause == "missing input file /data/in/x.csv"
    assert any(e.startswith(f"root cause at line {first + 5}") for e in a.evidence)


def test_sqlplus_position_line_points_at_the_ora_line():
    body = [
        "SQL> @load.sql",
        "  from stg.orderz",
        "       *",
        "ERROR at line 1:",
        "ORA-00942: table or view does not exist",
    ]
    text, first = joblog(body)
    a = analyze(text)
    assert a.error_line_number == first + 4
    assert a.family == "oracle"


def test_glog_severity_letters_count_as_levels():
    body = [
        "I0314 01:00:00.000001 1234 main.cc:10] starting, 0 errors",
        "W0314 01:00:01.000001 1234 io.cc:7] slow disk",
        "E0314 01:00:02.000001 1234 io.cc:9] checksum mismatch in block 42",
        "I0314 01:00:03.000001 1234 main.cc:20] bye",
    ]
    text, first = joblog(body)
    assert analyze(text).error_line_number == first + 2


@pytest.mark.parametrize(
    ("body", "index"),
    [
        (
            [
                "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
                "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
                "[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10",
            ],
            1,
        ),
        (
            [
                "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs failed=false",
                "03-17 16:13:38.819  1702  8671 E PowerManagerService: acquire lock=233570404 refused",
                "03-17 16:13:38.820  1702  8671 I PowerManagerService: ready",
            ],
            1,
        ),
        (
            [
                'time=2025-03-14T01:00:00Z level=info msg="retry 0 errors"',
                'time=2025-03-14T01:00:01Z level=error msg="upload to bucket failed" bucket=fin-out',
                'time=2025-03-14T01:00:02Z level=info msg="shutting down"',
            ],
            1,
        ),
    ],
)
def test_other_log_layouts_levels(body, index):
    text, first = joblog(body)
    assert analyze(text).error_line_number == first + index
