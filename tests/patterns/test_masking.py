"""Named masks and the tokenizer."""

import pytest

from resync_assets.lib.patterns.masking import MASK_NAMES, is_mask, mask_line, scan_line, tokenize


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("connect to 10.251.71.240:50010 failed", "connect to <IP> failed"),
        ("src: /10.251.202.181:47130 ok", "src: /<IP> ok"),
        ("peer fe80:0:0:0:202:b3ff:fe1e:8329 up", "peer <IP> up"),
        ("reading /data/in/employees.csv", "reading <PATH>"),
        ("reading C:\\data\\in\\x.csv", "reading <PATH>"),
        ("fetch https://example.org/a/b?c=1 now", "fetch <URL> now"),
        ("mail to ops.team@example.com sent", "mail to <EMAIL> sent"),
        ("run 123e4567-e89b-12d3-a456-426614174000 done", "run <UUID> done"),
        ("at 2025-03-14T22:30:00.000Z started", "at <DATETIME> started"),
        ("2025-03-14 23:41:08,123 INFO go", "<DATETIME> INFO go"),
        ("= Fri Mar 14 23:41:07 CET 2025", "= <DATETIME>"),
        ("at Sun Jul 24 02:38:22 2005 ok", "at <DATETIME> ok"),
        ("sched 03/14/25 late", "sched <DATE> late"),
        ("elapsed 00:17:37 total", "elapsed <TIME> total"),
        ("addr 0x00e462c0 bad", "addr <HEX> bad"),
        ("sha deadbeef12345678 ok", "sha <HEX> ok"),
        ("job #J48213 launched", "job <JOBNUM> launched"),
        ("opening proxy : host.corp.example.com:54883", "opening proxy : <HOSTPORT>"),
        ("rhost=biblioteka.wsi.edu.pl user=root", "rhost=<HOST> user=root"),
        ("wrote 64MB in 12ms", "wrote <SIZE> in <DURATION>"),
        ("total = 39, boot = -103, ratio 0.5", "total = <NUM>, boot = <NUM>, ratio <NUM>"),
        ("Fan speeds ( 3552 3534 **** 3515 )", "Fan speeds ( <NUM> <NA> <NUM> )"),
        ("block blk_-6330812010936261924 added", "block <ID> added"),
        ("from 00:11:43:e3:ba:c3 via eth1", "from <MAC> via <ID>"),
        ("PCI interrupt 0000:02:0e.0[A] -> GSI 46", "PCI interrupt <HEXID>[A] -> GSI <NUM>"),
        ("klogd 1.4.1, log source", "klogd <VERSION>, log source"),
        ("synchronized to LOCAL(0), stratum 10", "synchronized to <ID>, stratum <NUM>"),
    ],
)
def test_named_masks(line, expected):
    assert mask_line(line) == expected


@pytest.mark.parametrize(
    "code",
    ["ORA-01555", "TNS-12541", "SP2-0157", "AWSBHT001E", "AWKCGE050I", "SQL0911N", "EDC5129I"],
)
def test_error_codes_stay_literal(code):
    keys, _, _ = tokenize(f"{code}: something went wrong")
    assert keys[0] == code


def test_joblog_path_is_masked_but_oracle_code_kept():
    assert mask_line("ORA-01555: snapshot too old reading /data/in/employees.csv") == (
        "ORA-01555: snapshot too old reading <PATH>"
    )


def test_list_of_same_variables_is_one_token():
    assert mask_line("ask 10.0.0.1:50010 to delete blk_1 blk_2 blk_3") == "ask <IP> to delete <ID>"
    short, _, _ = tokenize("to delete blk_1")
    long, _, _ = tokenize("to delete blk_1 blk_2 blk_3 blk_4")
    assert short == long


def test_empty_value_keeps_token_count():
    with_value, _, _ = tokenize("logname= uid=0 ruser=bob rhost=h.example.com")
    without, _, _ = tokenize("logname= uid=0 ruser= rhost=h.example.com")
    assert len(with_value) == len(without)
    empty_paren, _, _ = tokenize("connection from 1.2.3.4 () at x")
    host_paren, _, _ = tokenize("connection from 1.2.3.4 (h.example.com) at x")
    assert len(empty_paren) == len(host_paren)


@pytest.mark.parametrize(
    "line",
    [
        'ORA-01555: snapshot too old: rollback segment number 9 with name "_SYSSMU9_1203948812$" too small',
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root",
        "  leading and   inner   spaces  ",
        "Block broadcast_39 stored as values in memory (estimated size 9.2 KB, free 868.3 KB)",
        "find: '/data/tmp/archive': Permission denied",
        "msgid=<200511091901.jA9J1dQ7016560@aadmin1>, relay=#7#@localhost",
        "",
        "\ufffd invalid \ufffd bytes",
    ],
)
def test_tokenize_round_trips(line):
    keys, raws, seps = tokenize(line)
    assert len(keys) == len(raws) == len(seps)
    assert "".join(s + r for s, r in zip(seps, raws)) == " ".join(line.split())
    for key, raw in zip(keys, raws):
        assert key == raw or is_mask(key)


def test_mask_names_are_listed():
    assert {"NUM", "IP", "PATH", "DATETIME", "UUID", "EMAIL", "URL", "HEX", "JOBNUM", "ID"} <= set(MASK_NAMES)


@pytest.mark.parametrize(
    "line",
    [
        "error =",
        "error = ",
        "total = 39, x= y=",
        "=",
        "a b =",
        "ruser= rhost=h.example.com",
        "f () g [] h",
        "ask 10.0.0.1:50010 to delete blk_1 blk_2 blk_3",
        "x  1   2  ",
        "LOCAL(0) x data_thread() y",
        "tty=:0 ruser= rhost=",
        "Fan speeds ( 3552 3534 **** 3515 )",
        "AWSBIS307I Starting /opt/hwa/TWS/jobmanrc /apps/fin/bin/gl_extract.sh -d 20250314",
        "at Sun Jul 24 02:38:22 2005 from 10.0.0.1",
        "2025-03-14 23:41:08 ERROR gl_extract: step 1/3 failed, sqlplus exit=19",
    ],
)
def test_chunked_tokenize_equals_whole_line_scan(line):
    assert tokenize(line) == scan_line(line)
