"""The callgrind benchmark's table: each kind against the floor, and the flow's mean weighted by posts."""

from __future__ import annotations

from bench.webhook_instructions import markdown


def test_the_whole_flow_is_the_mean_per_webhook_weighted_by_how_often_each_kind_is_posted() -> None:
    results = {
        "flow": {
            "call.status": {"posts": 3, "instructions": 4e6},
            "voice.postcode": {"posts": 1, "instructions": 12e6},
        },
        "noop": {"noop": {"posts": 55, "instructions": 3e6}},
        "floor": {"floor": {"posts": 55, "instructions": 2e6}},
    }

    table = "\n".join(markdown(results))

    assert "| call.status | 3 | 4.00 | 2.00 |" in table
    assert "| voice.postcode | 1 | 12.00 | 6.00 |" in table
    # (3 × 4 + 12) / 4 = 6 M a webhook, 3 × the floor; not the mean of the kinds (8 M).
    assert "| **whole flow** (mean per webhook) | 4 | **6.00** | 3.00 |" in table
    assert "| 3.00 | 1.50 |" in table
