"""Rasa servers pull the live model on different beats, so they do not all load a new
model (and pause their answers) at the same moment."""

from __future__ import annotations

import pytest

from bot.endpoints import endpoints, pull_seconds

MODEL_SERVER = {
    "ACTION_SERVER_TOKEN": "a",
    "MODEL_SERVER_URL": "http://desk:5000/models/live",
    "MODEL_SERVER_TOKEN": "m",
    "MODEL_PULL_SECONDS": "10",
}


def test_a_server_without_a_replica_number_pulls_every_model_pull_seconds():
    assert endpoints(MODEL_SERVER)["models"]["wait_time_between_pulls"] == 10


def test_numbered_replicas_each_wait_a_different_time_within_a_fifth_of_it():
    waits = [
        endpoints(MODEL_SERVER | {"RASA_REPLICA": str(n)})["models"]["wait_time_between_pulls"]
        for n in range(5)
    ]

    assert waits == [10, 11, 9, 12, 8]


def test_past_the_spread_the_waits_come_round_again():
    assert [pull_seconds(10, str(n)) for n in range(5, 8)] == [10, 11, 9]


def test_a_random_replica_picks_one_of_the_same_waits_once_at_start():
    offered = []

    def first_offered(waits):
        offered.append(waits)
        return waits[-1]

    assert pull_seconds(10, "random", first_offered) == 8
    assert offered == [[10, 11, 9, 12, 8]]
    assert 8 <= pull_seconds(10, "random") <= 12


def test_a_short_wait_still_spreads_and_never_reaches_zero():
    # Rasa reads 0 as "pull once at start".
    assert [pull_seconds(1, str(n)) for n in range(3)] == [1, 2, 1]
    assert [pull_seconds(4, str(n)) for n in range(3)] == [4, 5, 3]


@pytest.mark.parametrize("replica", ["uno", "-1", "1.5"])
def test_a_replica_number_rasa_could_not_use_stops_the_start(replica):
    with pytest.raises(SystemExit):
        endpoints(MODEL_SERVER | {"RASA_REPLICA": replica})
