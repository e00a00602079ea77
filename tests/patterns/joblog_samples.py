"""Composed joblogs in the TWS layout (docs/joblog_layout.md §2.4, §2.5); names and numbers are invented."""

BANNER = "=" * 63


def classic_joblog(job: str, body: list[str], rc: int = 19, jobnum: int = 48213) -> str:
    """A classic UNIX agent joblog: header, jobmanrc preamble, `body`, trailer."""
    return (
        "\n".join(
            [
                BANNER,
                f"= JOB       : FTAPRD01#GL_CLOSE[(2330 03/14/25),(0AAAAAAAAAAACK4Q)].{job}",
                "= USER      : batchfin",
                "= JCLFILE   : /apps/fin/bin/gl_extract.sh -d 20250314",
                "= TWSRCMAP  :",
                "= AGENT     : FTAPRD01",
                f"= Job Number: {jobnum}",
                "= Fri Mar 14 23:41:07 CET 2025",
                BANNER,
                "WA for UNIX/JOBMANRC 10.2.5.00",
                "AWSBIS307I Starting /opt/hwa/TWS/jobmanrc /apps/fin/bin/gl_extract.sh -d 20250314",
                "WA for UNIX (LINUX)/JOBINFO 10.2.5.00",
                'Installed for user "batchfin".',
                'Locale LANG set to the following: "C"',
                *body,
                "AWSBIS308I End of job",
                BANNER,
                f"= Exit Status           : {rc}",
                "= Elapsed Time (hh:mm:ss) : 00:17:37",
                "= Job CPU usage (ms) : 4120",
                "= Job Memory usage (kb) : 18844",
                "= Fri Mar 14 23:58:44 CET 2025",
                BANNER,
            ]
        )
        + "\n"
    )


DYNAMIC_JOBLOG = "\n".join(
    [
        BANNER,
        "= JOB       : LNXAGT07#JOBS[(1015 03/15/25),(JOBS)].PURGE_TMP",
        '= TASK      : <?xml version="1.0" encoding="UTF-8"?>',
        '<jsdl:jobDefinition xmlns:jsdl="http://www.ibm.com/xmlns/prod/scheduling/1.0/jsdl" name="executable">',
        '  <jsdl:application name="executable">',
        "      <jsdle:script>/apps/ops/purge_tmp.sh 7</jsdle:script>",
        "  </jsdl:application>",
        "</jsdl:jobDefinition>",
        "= TWSRCMAP  :",
        "= AGENT     : LNXAGT07",
        "= Job Number: 731540286",
        "= Sat Mar 15 10:15:02 CET 2025",
        BANNER,
        "purge_tmp: removing files older than 7 days under /data/tmp",
        "find: '/data/tmp/archive': Permission denied",
        "purge_tmp: 1 error(s), exiting 1",
        BANNER,
        "= Exit Status           : 1",
        "= Elapsed Time (hh:mm:ss) : 00:00:04",
        "= Job CPU usage (ms) : 37",
        "= Job Memory usage (kb) : 2316",
        "= Sat Mar 15 10:15:06 CET 2025",
        BANNER,
    ]
)
