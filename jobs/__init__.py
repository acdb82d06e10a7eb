"""Background jobs: arq WorkerSettings, the job functions, and the embedded mode's inline runner."""
