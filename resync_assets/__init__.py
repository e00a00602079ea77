"""resync: workload-analytics lakehouse for IBM / HCL Workload Automation (TWS)."""
