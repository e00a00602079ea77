"""The complete graph of the code location: every asset key with its group and upstream edges, every
check, schedule, sensor and job. A change to the graph must change this test, on purpose."""

import pytest

# asset key -> (group, upstream keys)
ASSETS = {
    "agg_host_metrics__hourly": ("marts", ["stg_host__metrics"]),
    "agg_job_runs__daily": ("marts", ["fct_job_runs"]),
    "agg_workload__hourly": ("marts", ["fct_job_runs"]),
    "capacity_forecast_models": (
        "forecast",
        ["agg_host_metrics__hourly", "agg_job_runs__daily", "dim_jobs", "fct_job_runs"],
    ),
    "capacity_forecasts": (
        "forecast",
        ["agg_host_metrics__hourly", "agg_job_runs__daily", "dim_jobs", "fct_job_runs"],
    ),
    "capacity_recommendations": (
        "forecast",
        ["capacity_forecasts", "capacity_threshold_eta", "maintenance_alerts"],
    ),
    "capacity_threshold_eta": (
        "forecast",
        ["agg_host_metrics__hourly", "capacity_forecast_models", "capacity_forecasts"],
    ),
    "dim_jobs": ("marts", ["fct_job_runs"]),
    "drift_reports": ("drift", ["fct_job_runs", "incident_analyses", "joblog_templates"]),
    "fct_job_runs": ("marts", ["int_job_runs__enriched"]),
    "incident_analyses": ("incidents", ["joblog_templates", "tws_raw/job_runs", "tws_raw/joblogs"]),
    "incident_deliveries": ("incidents", ["incident_analyses"]),
    "int_job_runs__enriched": ("intermediate", ["int_workstations__hosts", "stg_tws__job_runs"]),
    "int_workstations__hosts": (
        "intermediate",
        ["stg_host__metrics", "stg_tws__job_runs", "stg_tws__workstations"],
    ),
    "joblog_pattern_clusters": ("patterns", ["joblog_templates"]),
    "joblog_templates": ("patterns", ["tws_raw/job_runs", "tws_raw/joblogs"]),
    "maintenance_alerts": (
        "forecast",
        ["capacity_forecast_models", "fct_job_runs", "joblog_pattern_clusters"],
    ),
    "mart_workload_vs_resources": ("marts", ["agg_host_metrics__hourly", "agg_workload__hourly"]),
    "resync_health": ("health", []),
    "stg_host__metrics": ("staging", ["tws_raw/host_metrics"]),
    "stg_tws__job_runs": ("staging", ["tws_raw/job_runs"]),
    "stg_tws__job_streams": ("staging", ["tws_raw/job_streams"]),
    "stg_tws__joblogs": ("staging", ["tws_raw/joblogs"]),
    "stg_tws__workstations": ("staging", ["tws_raw/workstations"]),
    "tws_raw/engine_info": ("tws_raw", []),
    "tws_raw/host_metrics": ("tws_raw", []),
    "tws_raw/job_runs": ("tws_raw", []),
    "tws_raw/job_streams": ("tws_raw", []),
    "tws_raw/joblogs": ("tws_raw", ["tws_raw/job_runs"]),
    "tws_raw/workstations": ("tws_raw", []),
    "weekly_capacity_report": (
        "report",
        [
            "agg_host_metrics__hourly",
            "agg_job_runs__daily",
            "capacity_forecast_models",
            "capacity_forecasts",
            "capacity_recommendations",
            "capacity_threshold_eta",
            "dim_jobs",
            "drift_reports",
            "fct_job_runs",
            "incident_analyses",
            "joblog_pattern_clusters",
            "maintenance_alerts",
        ],
    ),
}

# (asset key, check name)
CHECKS = {
    ("agg_host_metrics__hourly", "has_rows_when_agg_host_metrics__hourly_stg_host__metrics"),
    ("dim_jobs", "has_every_key_of_dim_jobs_job_key__fct_job_runs"),
    ("dim_jobs", "has_rows_when_dim_jobs_fct_job_runs"),
    ("fct_job_runs", "has_rows_when_fct_job_runs_stg_tws__job_runs"),
    ("stg_host__metrics", "has_rows_when_stg_host__metrics__source_tws_raw_host_metrics_"),
    ("stg_tws__job_runs", "has_rows_when_stg_tws__job_runs__source_tws_raw_job_runs_"),
    ("stg_tws__job_streams", "has_rows_when_stg_tws__job_streams__source_tws_raw_job_streams_"),
    ("stg_tws__job_streams", "not_null_stg_tws__job_streams_job_stream_name"),
    ("stg_tws__joblogs", "has_rows_when_stg_tws__joblogs__source_tws_raw_joblogs_"),
    ("stg_tws__workstations", "has_rows_when_stg_tws__workstations__source_tws_raw_workstations_"),
    ("stg_tws__workstations", "not_null_stg_tws__workstations_workstation_name"),
    ("agg_host_metrics__hourly", "not_null_agg_host_metrics__hourly_host"),
    ("agg_host_metrics__hourly", "not_null_agg_host_metrics__hourly_metric_hour"),
    ("agg_host_metrics__hourly", "unique_combination_agg_host_metrics__hourly_host__metric_hour"),
    ("agg_job_runs__daily", "not_null_agg_job_runs__daily_activity_date"),
    ("agg_job_runs__daily", "not_null_agg_job_runs__daily_job_key"),
    ("agg_job_runs__daily", "unique_combination_agg_job_runs__daily_job_key__activity_date"),
    ("agg_workload__hourly", "not_null_agg_workload__hourly_activity_hour"),
    ("agg_workload__hourly", "not_null_agg_workload__hourly_workstation"),
    ("agg_workload__hourly", "unique_combination_agg_workload__hourly_workstation__activity_hour"),
    ("capacity_forecasts", "capacity_forecasts_are_consistent"),
    ("capacity_recommendations", "capacity_recommendations_are_well_formed"),
    ("capacity_threshold_eta", "capacity_threshold_eta_is_monotone"),
    (
        "dim_jobs",
        "accepted_values_dim_jobs_calendar_guess__daily__weekdays__weekly__month_end__irregular__unknown",
    ),
    ("dim_jobs", "not_null_dim_jobs_calendar_guess"),
    ("dim_jobs", "not_null_dim_jobs_job_key"),
    ("dim_jobs", "unique_dim_jobs_job_key"),
    ("drift_reports", "drift_reports_no_drift"),
    (
        "fct_job_runs",
        "accepted_values_fct_job_runs_status_class__success__failure__running__waiting__cancelled__other",
    ),
    ("fct_job_runs", "not_null_fct_job_runs_job_key"),
    ("fct_job_runs", "not_null_fct_job_runs_run_id"),
    ("fct_job_runs", "unique_fct_job_runs_run_id"),
    ("incident_analyses", "incident_analyses_cover_every_failed_run"),
    ("incident_analyses", "incident_confidence_is_calibrated"),
    ("incident_deliveries", "incident_notifications_delivered"),
    ("int_job_runs__enriched", "not_null_int_job_runs__enriched_run_id"),
    ("int_job_runs__enriched", "unique_int_job_runs__enriched_run_id"),
    (
        "int_workstations__hosts",
        "accepted_values_int_workstations__hosts_host_match_method__node_name__node_short_name__workstation_name__unmatched",
    ),
    ("int_workstations__hosts", "not_null_int_workstations__hosts_host"),
    ("int_workstations__hosts", "not_null_int_workstations__hosts_workstation"),
    ("int_workstations__hosts", "unique_int_workstations__hosts_workstation"),
    ("joblog_templates", "joblog_templates_ids_are_stable"),
    ("maintenance_alerts", "maintenance_alerts_are_well_formed"),
    ("mart_workload_vs_resources", "not_null_mart_workload_vs_resources_activity_hour"),
    ("mart_workload_vs_resources", "not_null_mart_workload_vs_resources_host"),
    ("mart_workload_vs_resources", "unique_combination_mart_workload_vs_resources_host__activity_hour"),
    ("resync_health", "resync_parts_healthy"),
    ("stg_host__metrics", "not_null_stg_host__metrics_host"),
    ("stg_host__metrics", "not_null_stg_host__metrics_sampled_at"),
    ("stg_host__metrics", "unique_combination_stg_host__metrics_host__sampled_at"),
    ("stg_tws__job_runs", "not_null_stg_tws__job_runs_run_id"),
    ("stg_tws__job_runs", "unique_stg_tws__job_runs_run_id"),
    ("stg_tws__job_streams", "not_null_stg_tws__job_streams_jobstream_id"),
    ("stg_tws__job_streams", "not_null_stg_tws__job_streams_plan_id"),
    ("stg_tws__job_streams", "unique_combination_stg_tws__job_streams_jobstream_id__plan_id"),
    ("stg_tws__joblogs", "not_null_stg_tws__joblogs_run_id"),
    ("stg_tws__joblogs", "unique_stg_tws__joblogs_run_id"),
    ("stg_tws__workstations", "not_null_stg_tws__workstations_workstation_id"),
    ("stg_tws__workstations", "unique_stg_tws__workstations_workstation_id"),
    ("tws_raw/job_runs", "job_runs_freshness"),
    ("tws_raw/job_runs", "job_runs_have_unique_run_ids"),
    ("tws_raw/job_runs", "job_runs_match_api_count_for_closed_plan_day"),
    ("tws_raw/job_runs", "tws_quarantine_is_empty"),
}

# schedule -> (cron, job)
SCHEDULES = {
    "capacity_forecast_weekly": ("0 5 * * 1", "capacity_forecast_job"),
    "host_metrics_schedule": ("*/10 * * * *", "host_metrics_job"),
    "maintenance_and_drift_daily": ("30 5 * * *", "maintenance_and_drift_job"),
    "marts_refresh_schedule": ("5 * * * *", "marts_refresh_job"),
    "resync_health_schedule": ("*/15 * * * *", "resync_health_job"),
    "tws_ingest_schedule": ("*/10 * * * *", "tws_ingest_job"),
    "weekly_report_schedule": ("0 7 * * 1", "weekly_report_job"),
}

# sensor -> job
SENSORS = {
    "incident_analysis_sensor": "incident_analysis_job",
    "tws_raw_freshness_sensor": "job_runs_freshness_job",
}

JOBS = {
    "capacity_forecast_job",
    "everything_job",
    "host_metrics_job",
    "incident_analysis_job",
    "job_runs_freshness_job",
    "lakehouse_refresh_job",
    "maintenance_and_drift_job",
    "marts_refresh_job",
    "resync_health_job",
    "tws_ingest_job",
    "weekly_report_job",
}


@pytest.fixture(scope="module")
def repo():
    from resync_assets.definitions import defs

    return defs().get_repository_def()


def test_every_asset_key_group_and_edge(repo):
    graph = repo.asset_graph
    actual = {
        k.to_user_string(): (
            graph.get(k).group_name,
            sorted(p.to_user_string() for p in graph.get(k).parent_keys),
        )
        for k in graph.get_all_asset_keys()
    }
    assert actual == ASSETS


def test_only_resync_health_is_external(repo):
    graph = repo.asset_graph
    external = {k.to_user_string() for k in graph.get_all_asset_keys()} - {
        k.to_user_string() for k in graph.materializable_asset_keys
    }
    assert external == {"resync_health"}


def test_every_check(repo):
    actual = {(c.asset_key.to_user_string(), c.name) for c in repo.asset_graph.asset_check_keys}
    assert actual == CHECKS


def test_every_schedule_and_sensor(repo):
    assert {s.name: (s.cron_schedule, s.job_name) for s in repo.schedule_defs} == SCHEDULES
    assert {s.name: s.job_name for s in repo.sensor_defs} == SENSORS
    for definition in [*repo.schedule_defs, *repo.sensor_defs]:
        assert definition.description, definition.name


def test_every_job(repo):
    assert {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")} == JOBS
