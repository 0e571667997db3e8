"""mmdet's ``KalmanFilter`` run on all tracks at once (torch, batched).

mmdet's filter (DeepSORT's constant-velocity model on ``(cx, cy, a, h)``,
``a = w / h``) works on one track per call in numpy; a tracker step with
300 tracks would make 300 Python-level calls. `BatchedKalmanFilter`
subclasses it (same matrices, noise weights and ``chi2inv95`` table) and adds
``*_batch`` methods that apply the SAME equations to ``[T, 8]`` means and
``[T, 8, 8]`` covariances in float64 (mmdet's numpy precision);
tests/test_models/test_batched_kalman.py checks them against the per-track
methods on random tracks.
"""
from typing import Tuple

import torch
from mmdet.models.task_modules.tracking import KalmanFilter
from mmdet.registry import TASK_UTILS
from torch import Tensor


def xyxy_to_xyah(bboxes: Tensor) -> Tensor:
    """``[N, 4]`` (x1, y1, x2, y2) -> (cx, cy, w / h, h)."""
    w = bboxes[:, 2] - bboxes[:, 0]
    h = bboxes[:, 3] - bboxes[:, 1]
    return torch.stack([bboxes[:, 0] + w / 2, bboxes[:, 1] + h / 2, w / h, h],
                       dim=1)


def xyah_to_xyxy(xyah: Tensor) -> Tensor:
    """``[N, >=4]`` (cx, cy, w / h, h, ...) -> (x1, y1, x2, y2)."""
    cx, cy, a, h = xyah[:, 0], xyah[:, 1], xyah[:, 2], xyah[:, 3]
    w = a * h
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)


@TASK_UTILS.register_module()
class BatchedKalmanFilter(KalmanFilter):
    """mmdet's ``KalmanFilter`` with batched torch versions of its steps.

    Args:
        center_only (bool): as mmdet's: gate on the centre only (2 degrees
            of freedom) instead of the whole box (4).
        use_nsa (bool): NSA noise scaling is not batched here; ``True`` is
            an error.
    """

    def __init__(self, center_only: bool = False, use_nsa: bool = False):
        if use_nsa:
            raise ValueError('BatchedKalmanFilter does not implement NSA '
                             '(use_nsa=True); use mmdet\'s KalmanFilter')
        super().__init__(center_only=center_only, use_nsa=False)
        wp, wv = self._std_weight_position, self._std_weight_velocity
        # mmdet's standard deviations: ``weight * h`` (relative to the box
        # height) except the aspect ratio's (and its velocity's), constant.
        # Stored as (weights, constants) with zeros where the other applies.
        self._noise = dict(
            initiate=((2 * wp, 2 * wp, 0, 2 * wp, 10 * wv, 10 * wv, 0,
                       10 * wv), (0, 0, 1e-2, 0, 0, 0, 1e-5, 0)),
            predict=((wp, wp, 0, wp, wv, wv, 0, wv), (0, 0, 1e-2, 0, 0, 0,
                                                      1e-5, 0)),
            project=((wp, wp, 0, wp), (0, 0, 1e-1, 0)))
        self._cache = {}

    def _tensor(self, key: str, device) -> Tensor:
        """Constant float64 tensors on ``device``, made once: the motion
        matrix ``F`` ('motion') and the squared noise weights and
        constants of each step."""
        if (key, str(device)) not in self._cache:
            if key == 'motion':
                value = torch.as_tensor(self._motion_mat)
            else:
                value = torch.tensor(self._noise[key], dtype=torch.float64)
                value = value.square()
            self._cache[(key, str(device))] = value.to(device)
        return self._cache[(key, str(device))]

    def _noise_cov(self, key: str, h: Tensor) -> Tensor:
        """``[T, D, D]`` diagonal noise covariance of step ``key`` for
        boxes of height ``h`` ``[T]``."""
        weights, consts = self._tensor(key, h.device)
        return torch.diag_embed(h.square().unsqueeze(1) * weights + consts)

    def initiate_batch(self, measurements: Tensor) -> Tuple[Tensor, Tensor]:
        """``initiate`` of every row of ``[N, 4]`` xyah measurements."""
        z = measurements.double()
        mean = torch.cat([z, torch.zeros_like(z)], dim=1)
        return mean, self._noise_cov('initiate', z[:, 3])

    def predict_batch(self, mean: Tensor,
                      cov: Tensor) -> Tuple[Tensor, Tensor]:
        """``predict`` of ``[T, 8]`` means and ``[T, 8, 8]`` covariances."""
        mat = self._tensor('motion', mean.device)
        noise = self._noise_cov('predict', mean[:, 3])
        return mean @ mat.t(), mat @ cov @ mat.t() + noise

    def project_batch(self, mean: Tensor,
                      cov: Tensor) -> Tuple[Tensor, Tensor]:
        """``project`` (``bbox_score = 0``): ``[T, 4]``, ``[T, 4, 4]``."""
        noise = self._noise_cov('project', mean[:, 3])
        return mean[:, :4], cov[:, :4, :4] + noise

    def update_batch(self, mean: Tensor, cov: Tensor,
                     measurements: Tensor) -> Tuple[Tensor, Tensor]:
        """``update`` of row ``i`` with measurement row ``i`` (xyah)."""
        proj_mean, proj_cov = self.project_batch(mean, cov)
        chol = torch.linalg.cholesky(proj_cov)
        # K = P H^T S^-1, i.e. K^T = S^-1 (P H^T)^T (S symmetric)
        gain = torch.cholesky_solve(cov[:, :, :4].transpose(1, 2),
                                    chol).transpose(1, 2)  # [T, 8, 4]
        innovation = measurements.double() - proj_mean
        new_mean = mean + (gain @ innovation.unsqueeze(2)).squeeze(2)
        new_cov = cov - gain @ proj_cov @ gain.transpose(1, 2)
        return new_mean, new_cov

    def gating_distance_batch(self,
                              mean: Tensor,
                              cov: Tensor,
                              measurements: Tensor,
                              only_position: bool = False) -> Tensor:
        """Squared Mahalanobis distance ``[N, T]`` of every measurement
        (``[N, 4]`` xyah) to every track's projected state, as
        ``gating_distance`` per track (which returns one row of the
        transpose).

        Computed as ``z'Az - 2 z'A mu + mu'A mu`` with ``A = S^-1`` (from
        the Cholesky factor of ``S``): three matrix products for all pairs
        instead of ``T`` triangular solves. In float64 the cancellation
        costs about ``|z|^2 / var * 1e-16``, below 1e-9 for boxes within
        1e4 px of size >= 1 px.
        """
        proj_mean, proj_cov = self.project_batch(mean, cov)
        z = measurements.double()
        if only_position:
            proj_mean, proj_cov = proj_mean[:, :2], proj_cov[:, :2, :2]
            z = z[:, :2]
        num, dim = proj_mean.shape
        inv = torch.cholesky_inverse(torch.linalg.cholesky(proj_cov))
        inv_mean = (inv @ proj_mean.unsqueeze(2)).squeeze(2)  # [T, D]
        zz = (z.unsqueeze(2) * z.unsqueeze(1)).reshape(-1, dim * dim)
        quad = zz @ inv.reshape(num, dim * dim).t()  # [N, T]
        return quad - 2.0 * (z @ inv_mean.t()) + (proj_mean *
                                                  inv_mean).sum(dim=1)
