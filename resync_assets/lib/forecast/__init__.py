"""Capacity forecasting and predictive maintenance: forecaster, calibration, threshold ETA, alert rules.

`forecaster.forecast` forecasts one series (`ds`, `y`) with calibrated 80 % / 95 % intervals and
records its backtest MASE against seasonal naive; `forecaster.forecast_batch` does many series on one
grid at once. No Dagster here: `defs/forecast` wires these into assets.
"""
