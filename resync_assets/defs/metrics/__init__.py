"""Host resource metrics: this host's samples and the simulator's history into `tws_raw.host_metrics`."""
