"""Capacity forecasting and predictive maintenance: forecasts, threshold ETAs, recommendations and
maintenance alerts in `analytics` (logic in `lib/forecast`)."""
