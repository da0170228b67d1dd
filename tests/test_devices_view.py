"""The cameras and sensors desk view's own ordering, without a store."""
from __future__ import annotations

import pandas as pd

from layouts.devices import sensor_readings, sensors_attention_first


def test_stations_above_their_limit_come_first_then_the_silent_ones():
    latest = sensor_readings(pd.DataFrame({
        "sensor_id": ["A", "B", "C", "D", "E"],
        "value": [1.0, 5.0, None, 120.0, 4.4],
        "threshold": [4.0, 4.0, 4.0, 50.0, None],
    }))
    assert sensors_attention_first(latest)["sensor_id"].tolist() == ["D", "B", "C", "A", "E"]
