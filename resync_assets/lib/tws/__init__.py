"""Client for the TWS / HCL Workload Automation REST API v2, usable without Dagster.

    from resync_assets.lib.tws import TwsClient, TwsSettings, Oql

    with TwsClient(TwsSettings.from_env()) as client:
        for page in client.iter_job_pages(plan_id="current", oql=Oql.eq("jobStreamName", "DAILY_ETL")):
            ...

Environment (read only by ``TwsSettings.from_env()``): ``RESYNC_TWS_BASE_URL``, ``RESYNC_TWS_USER``,
``RESYNC_TWS_PASSWORD``, ``RESYNC_TWS_TOKEN``, ``RESYNC_TWS_CA_BUNDLE``, ``RESYNC_TWS_VERIFY_TLS``,
``RESYNC_TWS_TIMEOUT_SECONDS``.
"""

from resync_assets.lib.tws.client import TwsClient
from resync_assets.lib.tws.errors import (
    TwsApiError,
    TwsAuthError,
    TwsCircuitOpenError,
    TwsConnectionError,
    TwsError,
    TwsNotFoundError,
    TwsProtocolError,
    TwsTimeoutError,
)
from resync_assets.lib.tws.joblog import Joblog
from resync_assets.lib.tws.oql import Oql
from resync_assets.lib.tws.settings import TwsSettings

__all__ = [
    "Joblog",
    "Oql",
    "TwsApiError",
    "TwsAuthError",
    "TwsCircuitOpenError",
    "TwsClient",
    "TwsConnectionError",
    "TwsError",
    "TwsNotFoundError",
    "TwsProtocolError",
    "TwsSettings",
    "TwsTimeoutError",
]
