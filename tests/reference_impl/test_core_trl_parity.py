"""Core: parity of the log-prob and entropy helpers with TRL's plain-tensor utilities."""

import pytest
import torch

from reference_impl.core import entropy_from_logits, selective_log_softmax

trl_utils = pytest.importorskip("trl.trainer.utils", reason="trl not installed: parity with TRL's utilities skipped")
torch.set_num_threads(1)


def test_selective_log_softmax_matches_trl():
    torch.manual_seed(0)
    logits = torch.randn(4, 7, 29, dtype=torch.float64) * 3
    index = torch.randint(0, 29, (4, 7))
    torch.testing.assert_close(selective_log_softmax(logits, index), trl_utils.selective_log_softmax(logits, index))


def test_entropy_matches_trl():
    torch.manual_seed(1)
    logits = torch.randn(3, 5, 17) * 2
    torch.testing.assert_close(entropy_from_logits(logits), trl_utils.entropy_from_logits(logits))
