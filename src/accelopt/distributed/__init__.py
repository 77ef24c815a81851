"""distributed: DDP, FSDP and pipeline runs under torchrun, the pipeline partitioner, collective benchmarks."""
