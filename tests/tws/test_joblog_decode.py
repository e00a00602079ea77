"""Joblog decoding never fails, flags bad bytes and marks truncation explicitly."""

from resync_assets.lib.tws.joblog import decode_joblog


def test_valid_utf8():
    log = decode_joblog("r1", "line 1\nlìne 2\n".encode(), truncated=False, limit=100)
    assert log.text == "line 1\nlìne 2\n"
    assert (log.had_invalid_utf8, log.truncated, log.line_count, log.byte_size) == (False, False, 2, 15)
    assert log.encoding == "utf-8"


def test_invalid_bytes_are_replaced_and_flagged():
    log = decode_joblog("r1", b"ok\n\xff\xfe bad \xc3\n", truncated=False, limit=100)
    assert log.had_invalid_utf8 is True
    assert log.text == "ok\n\ufffd\ufffd bad \ufffd\n"
    assert log.line_count == 2


def test_truncation_appends_marker_and_drops_split_character():
    data = "abc\nd€".encode()[:-1]  # the cut falls inside the 3-byte euro sign
    log = decode_joblog("r1", data, truncated=True, limit=len(data))
    assert log.truncated is True and log.had_invalid_utf8 is False
    assert log.text == f"abc\nd\n[resync: joblog truncated at {len(data)} bytes]\n"
    assert log.line_count == 2
    assert log.byte_size == len(data)


def test_declared_latin1_charset_is_used():
    log = decode_joblog("r1", "caffè\n".encode("latin-1"), truncated=False, limit=100, charset="ISO-8859-1")
    assert log.text == "caffè\n" and log.encoding == "iso8859-1" and not log.had_invalid_utf8


def test_unknown_charset_falls_back_to_utf8():
    log = decode_joblog("r1", b"x", truncated=False, limit=10, charset="no-such-codec")
    assert log.encoding == "utf-8" and log.text == "x"


def test_empty_body():
    log = decode_joblog("r1", b"", truncated=False, limit=10)
    assert (log.text, log.line_count, log.byte_size) == ("", 0, 0)
