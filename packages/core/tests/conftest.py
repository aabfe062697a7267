import hypothesis

# Each new shape/dtype compiles an executable (~30 ms): keep examples few and
# never let a slow first compile fail a test on the deadline.
hypothesis.settings.register_profile(
    "morphax", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile("morphax")
