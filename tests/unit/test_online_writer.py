"""The fast online writer encodes exactly the bytes Feast's own protobuf conversion produces."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

from sme_pulse.online_writer import decode_timestamp, encode_column, encode_timestamps

CASES = [
    (ValueType.DOUBLE, pa.array([1.5, -2.25, None, 0.0, math.nan, 1e300, -0.0], pa.float64())),
    (ValueType.INT64, pa.array([0, 1, -1, 300, None, 2**62, -(2**62)], pa.int64())),
    (ValueType.INT32, pa.array([0, 7, -5, None, 2**31 - 1], pa.int32())),
    (ValueType.BOOL, pa.array([True, False, None], pa.bool_())),
    (ValueType.STRING, pa.array(["U001", "", None, "Cà phê Việt", "x" * 300], pa.string())),
    (ValueType.UNIX_TIMESTAMP, pa.array([datetime(2020, 5, 15, tzinfo=UTC), None], pa.timestamp("us", tz="UTC"))),
]


@pytest.mark.parametrize(("value_type", "column"), CASES, ids=[c[0].name for c in CASES])
def test_encoded_values_equal_feasts_serialized_protos(value_type: ValueType, column: pa.Array) -> None:
    # Exactly what Feast's materialization serializes (feast.utils._columns_to_proto_values).
    expected = [
        p.SerializeToString() for p in python_values_to_proto_values(column.to_numpy(zero_copy_only=False), value_type)
    ]
    assert encode_column(column, value_type) == expected


def test_event_timestamps_encode_like_timestamp_from_datetime() -> None:
    moments = [datetime(2020, 5, 15, tzinfo=UTC), datetime(2019, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)]
    encoded = encode_timestamps(pa.array(moments, pa.timestamp("us", tz="UTC")))
    for moment, data in zip(moments, encoded, strict=True):
        stamp = Timestamp()
        stamp.FromDatetime(moment)
        assert data == stamp.SerializeToString()
        assert decode_timestamp(data) == pytest.approx(moment.timestamp())
