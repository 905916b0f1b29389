"""A real Ray cluster for the session (no mocks): a head node on this machine, to which a test may add a second.

Started once (about 5 s); a test that cannot start it fails loudly rather than being skipped. Ray's
workers do not inherit a test's environment: askdoc hands them the test's index cache itself.
"""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """``(ray, cluster)``: Ray connected to a one-node ``ray.cluster_utils.Cluster`` of 2 CPUs."""
    import ray  # not installed: the test fails (pip install -e '.[test,cluster]'), it is not skipped
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
        yield ray, cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
