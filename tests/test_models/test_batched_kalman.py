"""BatchedKalmanFilter against mmdet's per-track KalmanFilter (the
reference: the same equations, one track per call, numpy)."""
import numpy as np
import pytest
import torch
from mmdet.models.task_modules.tracking import KalmanFilter

from scaletrack.models.trackers.batched_kalman import (BatchedKalmanFilter,
                                                       xyah_to_xyxy,
                                                       xyxy_to_xyah)

RTOL, ATOL = 1e-9, 1e-9  # both run in float64


def random_xyah(rng, n):
    return np.stack([
        rng.uniform(0, 1000, n),
        rng.uniform(0, 600, n),
        rng.uniform(0.3, 3.0, n),
        rng.uniform(5, 300, n)
    ],
                    axis=1)


def random_tracks(rng, n, steps=3):
    """Tracks that went through initiate / predict / update several times
    (non-diagonal covariances, non-zero velocities), by mmdet's filter."""
    kf = KalmanFilter()
    states = []
    for z in random_xyah(rng, n):
        mean, cov = kf.initiate(z)
        for _ in range(steps):
            mean, cov = kf.predict(mean, cov)
            z = z + rng.normal(0, 5, 4) * np.array([1, 1, 0.01, 1])
            mean, cov = kf.update(mean, cov, z)
        states.append((mean, cov))
    return states


def stacked(states):
    mean = torch.from_numpy(np.stack([m for m, _ in states]))
    cov = torch.from_numpy(np.stack([c for _, c in states]))
    return mean, cov


def test_box_conversions_round_trip_and_hand_values():
    xyxy = torch.tensor([[10., 20., 40., 80.]])
    xyah = xyxy_to_xyah(xyxy)
    assert xyah.tolist() == [[25., 50., 0.5, 60.]]
    assert torch.allclose(xyah_to_xyxy(xyah), xyxy)


def test_initiate_predict_project_update_match_mmdet():
    rng = np.random.default_rng(0)
    kf, bkf = KalmanFilter(), BatchedKalmanFilter()
    z = random_xyah(rng, 7)
    mean, cov = bkf.initiate_batch(torch.from_numpy(z))
    for i in range(7):
        m, c = kf.initiate(z[i])
        np.testing.assert_allclose(mean[i].numpy(), m, RTOL, ATOL)
        np.testing.assert_allclose(cov[i].numpy(), c, RTOL, ATOL)

    states = random_tracks(rng, 9)
    mean, cov = stacked(states)
    pm, pc = bkf.predict_batch(mean, cov)
    jm, jc = bkf.project_batch(mean, cov)
    meas = random_xyah(rng, 9)
    um, uc = bkf.update_batch(mean, cov, torch.from_numpy(meas))
    for i, (m, c) in enumerate(states):
        rm, rc = kf.predict(m, c)
        np.testing.assert_allclose(pm[i].numpy(), rm, RTOL, ATOL)
        np.testing.assert_allclose(pc[i].numpy(), rc, RTOL, ATOL)
        rm, rc = kf.project(m, c)
        np.testing.assert_allclose(jm[i].numpy(), rm, RTOL, ATOL)
        np.testing.assert_allclose(jc[i].numpy(), rc, RTOL, ATOL)
        rm, rc = kf.update(m, c, meas[i])
        np.testing.assert_allclose(um[i].numpy(), rm, RTOL, 1e-7)
        np.testing.assert_allclose(uc[i].numpy(), rc, RTOL, 1e-7)


@pytest.mark.parametrize('only_position', [False, True])
def test_gating_distance_matches_mmdet(only_position):
    rng = np.random.default_rng(1)
    kf, bkf = KalmanFilter(), BatchedKalmanFilter()
    states = random_tracks(rng, 6)
    mean, cov = stacked(states)
    meas = random_xyah(rng, 11)
    got = bkf.gating_distance_batch(mean, cov, torch.from_numpy(meas),
                                    only_position)
    assert got.shape == (11, 6)
    for i, (m, c) in enumerate(states):
        want = kf.gating_distance(m, c, meas, only_position)
        np.testing.assert_allclose(got[:, i].numpy(), want, 1e-8, 1e-8)


@pytest.mark.parametrize('x, h', [(50., 100.), (4000., 4.)])
def test_gating_distance_hand_value(x, h):
    """A fresh track, projected: variances (h/10)^2 + (h/20)^2 on x, y, h
    (initiate's 2 * h/20 plus project's h/20) and 1e-4 + 1e-2 on a. A
    measurement 1 sigma off in x alone is at squared distance 1, also far
    from the origin with a small box (the expanded quadratic form's
    cancellation)."""
    bkf = BatchedKalmanFilter()
    f64 = dict(dtype=torch.float64)
    mean, cov = bkf.initiate_batch(torch.tensor([[x, 50., 1., h]], **f64))
    sigma_x = ((h / 10)**2 + (h / 20)**2)**0.5
    z = torch.tensor([[x + sigma_x, 50., 1., h]], **f64)
    d2 = bkf.gating_distance_batch(mean, cov, z)
    assert d2.item() == pytest.approx(1.0, abs=1e-8)


def test_nsa_is_rejected():
    with pytest.raises(ValueError, match='NSA'):
        BatchedKalmanFilter(use_nsa=True)
