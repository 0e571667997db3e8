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
        self._mats = {}

    def _matrices(self, device) -> Tensor:
        """The motion matrix ``F`` as a float64 tensor on ``device``."""
        key = str(device)
        if key not in self._mats:
            self._mats[key] = torch.as_tensor(
                self._motion_mat, dtype=torch.float64, device=device)
        return self._mats[key]

    @staticmethod
    def _std(h: Tensor, weights, consts: dict) -> Tensor:
        """``[T, len(weights)]`` standard deviations ``weights[j] * h``
        (relative to the box height, mmdet's rule), except the columns of
        ``consts`` (the aspect ratio's), which are constant."""
        std = h.unsqueeze(1) * h.new_tensor(weights)
        for col, value in consts.items():
            std[:, col] = value
        return std

    def initiate_batch(self, measurements: Tensor) -> Tuple[Tensor, Tensor]:
        """``initiate`` of every row of ``[N, 4]`` xyah measurements."""
        z = measurements.double()
        wp, wv = self._std_weight_position, self._std_weight_velocity
        std = self._std(
            z[:,
              3], (2 * wp, 2 * wp, 0, 2 * wp, 10 * wv, 10 * wv, 0, 10 * wv), {
                  2: 1e-2,
                  6: 1e-5
              })
        mean = torch.cat([z, torch.zeros_like(z)], dim=1)
        return mean, torch.diag_embed(std.square())

    def predict_batch(self, mean: Tensor,
                      cov: Tensor) -> Tuple[Tensor, Tensor]:
        """``predict`` of ``[T, 8]`` means and ``[T, 8, 8]`` covariances."""
        wp, wv = self._std_weight_position, self._std_weight_velocity
        std = self._std(mean[:, 3], (wp, wp, 0, wp, wv, wv, 0, wv), {
            2: 1e-2,
            6: 1e-5
        })
        mat = self._matrices(mean.device)
        mean = mean @ mat.t()
        cov = mat @ cov @ mat.t() + torch.diag_embed(std.square())
        return mean, cov

    def project_batch(self, mean: Tensor,
                      cov: Tensor) -> Tuple[Tensor, Tensor]:
        """``project`` (``bbox_score = 0``): ``[T, 4]``, ``[T, 4, 4]``."""
        wp = self._std_weight_position
        std = self._std(mean[:, 3], (wp, wp, 0, wp), {2: 1e-1})
        return mean[:, :4], cov[:, :4, :4] + torch.diag_embed(std.square())

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
        """Squared Mahalanobis distance ``[T, N]`` of every measurement
        (``[N, 4]`` xyah) to every track's projected state, as
        ``gating_distance`` per track."""
        proj_mean, proj_cov = self.project_batch(mean, cov)
        z = measurements.double()
        if only_position:
            proj_mean, proj_cov = proj_mean[:, :2], proj_cov[:, :2, :2]
            z = z[:, :2]
        chol = torch.linalg.cholesky(proj_cov)
        d = z.t().unsqueeze(0) - proj_mean.unsqueeze(2)  # [T, D, N]
        sol = torch.linalg.solve_triangular(chol, d, upper=False)
        return sol.square().sum(dim=1)
