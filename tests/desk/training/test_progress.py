"""Reading where a `rasa train` run is from its output (lines copied from a real run)."""

from __future__ import annotations

import pytest

from desk.training import progress
from desk.training.progress import Epoch, Failure, ModelSaved, Stage

STARTING_DIET = (
    "2026-11-29 11:19:33 INFO     rasa.engine.training.hooks  - "
    "Starting to train component 'DIETClassifier'."
)
# One physical line of output: tqdm redraws its bar with carriage returns.
DIET_EPOCHS = (
    "\rEpochs:   0%|          | 0/50 [00:00<?, ?it/s]"
    "\rEpochs:   2%|▏         | 1/50 [00:15<12:27, 15.25s/it]"
    "\rEpochs:   2%|▏         | 1/50 [00:15<12:27, 15.25s/it, t_loss=9.32, i_acc=0.313, e_f1=0.148]"
    "\rEpochs:   4%|▍         | 2/50 [00:16<05:36,  7.01s/it, t_loss=5.37, i_acc=0.728, e_f1=0.761]"
    "\rEpochs:   6%|▌         | 3/50 [00:17<03:27,  4.41s/it, t_loss=5.37, i_acc=0.728, e_f1=0.761]"
    "\n"
)
LAST_EPOCH = (
    "Epochs: 100%|██████████| 50/50 [01:06<00:00,  1.34s/it, t_loss=2.23, i_acc=1, e_f1=0.991]"
)
SAVED = "\x1b[92mYour Rasa model is trained and saved at 'models/ventanilla.tar.gz'.\x1b[0m"
VALIDATING = (
    "2026-11-29 11:19:24 INFO     rasa.cli.train  - Started validating domain and training data..."
)
WARNING = (
    "\x1b[93m/work/main/.venv-bot/lib/python3.10/site-packages/rasa/shared/utils/io.py:100: "
    "UserWarning: The utterance 'utter_handoff' is not used in any story or rule."
)
DEPRECATION = (
    "/work/main/.venv-bot/lib/python3.10/site-packages/rasa/shared/utils/validation.py:134: "
    "DeprecationWarning: pkg_resources is deprecated as an API."
)
STORY_BLOCKS = (
    "Processed story blocks:   0%|          | 0/3 [00:00<?, ?it/s]"
    "\rProcessed story blocks: 100%|██████████| 3/3 [00:00<00:00, 3783.20it/s, # trackers=1]"
)


def test_a_component_starting_to_train_is_a_stage():
    assert progress.parse(STARTING_DIET) == Stage("training DIETClassifier")


def test_validating_the_data_is_a_stage():
    assert progress.parse(VALIDATING) == Stage("validating")


def test_carriage_returns_split_one_line_into_each_tqdm_update():
    assert progress.events(DIET_EPOCHS) == [
        Epoch(0, 50),
        Epoch(1, 50),
        Epoch(1, 50),
        Epoch(2, 50),
        Epoch(3, 50),
    ]


def test_the_last_epoch_reads_as_done_out_of_the_total():
    assert progress.parse(LAST_EPOCH) == Epoch(50, 50)


def test_the_closing_line_gives_the_archive_path_without_its_colours():
    assert progress.parse(SAVED) == ModelSaved("models/ventanilla.tar.gz")


@pytest.mark.parametrize("line", [WARNING, DEPRECATION, STORY_BLOCKS, "  import pkg_resources"])
def test_warnings_and_other_bars_are_not_events(line):
    assert progress.events(line) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2026-11-29 11:19:27 ERROR    rasa.engine.graph  - Invalid configuration for DIET.",
            "Invalid configuration for DIET.",
        ),
        (
            "rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/tramites.yml'.",
            "rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/tramites.yml'.",
        ),
        (
            "OSError: [Errno 28] No space left on device",
            "OSError: [Errno 28] No space left on device",
        ),
        (
            "\x1b[91mThe path 'data/nlu' does not exist. Please make sure to use the default "
            "location ('data') or specify it with '--data'.\x1b[0m",
            "The path 'data/nlu' does not exist. Please make sure to use the default "
            "location ('data') or specify it with '--data'.",
        ),
    ],
)
def test_errors_rasa_logs_raises_or_prints_in_red_are_failures(line, message):
    assert progress.parse(line) == Failure(message)


def test_a_chunk_of_real_output_gives_the_stage_then_its_epochs_then_the_model():
    chunk = "\n".join([VALIDATING, WARNING, STARTING_DIET]) + "\n" + DIET_EPOCHS + SAVED + "\n"

    found = progress.events(chunk)

    assert found[:2] == [Stage("validating"), Stage("training DIETClassifier")]
    assert found[-2:] == [Epoch(3, 50), ModelSaved("models/ventanilla.tar.gz")]


def test_a_bar_drawn_again_is_a_redraw_but_a_different_bar_is_not():
    first, second = progress.segments(DIET_EPOCHS)[:2]

    assert progress.redraws(first, second)
    assert not progress.redraws(first, STORY_BLOCKS)
    assert not progress.redraws(STARTING_DIET, first)
