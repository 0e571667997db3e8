"""Test-only hook: every rank saves what the training tests compare.

Imported by the training subprocesses of ``test_distributed_train.py`` and
``test_resume_train.py`` through ``custom_imports`` (the test puts this
folder on ``PYTHONPATH``). For each rank ``r`` it writes, atomically, into
``out_dir``:

* ``rank{r}_before_train.pth``: the state right after the Runner built the
  model and loaded/resumed a checkpoint, i.e. what the first iteration
  starts from;
* ``rank{r}_after_train.pth``: the state after the last iteration;

each holding ``params`` (``named_parameters``, detached CPU copies),
``buffers``, ``optimizer`` (the optim wrapper's ``state_dict``), ``iter``,
``epoch`` and ``clips``: one entry per iteration run by this process with the
frames of the clip(s) it trained on (``img_path``, ``flip``,
``scale_factor``), which tells which data each rank saw and with which
augmentation.

``exit_after_epoch=k`` ends the process abruptly (``os._exit``, like a kill)
right after epoch ``k``'s checkpoint was written, to test ``--resume``.
"""
import copy
import os
import os.path as osp
import tempfile
from typing import Optional

import torch
from mmdet.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

# Exit status of a run stopped by ``exit_after_epoch``; any value that no
# normal run or Python error returns (1, 2) would do.
INTERRUPTED_EXIT_CODE = 75

SYNTH_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'configs/scaletrack/synthetic/scaletrack_tiny-r18_1xb1-6e_synthetic.py')


def write_hook_config(path, out_dir, **hook_kwargs) -> str:
    """Write (for the tests) the synthetic config plus this hook, imported
    via custom_imports, which mmengine resolves when the file is read."""
    kwargs = ''.join(f', {k}={v!r}' for k, v in hook_kwargs.items())
    path.write_text(
        f'_base_ = [{SYNTH_CONFIG!r}]\n'
        "custom_imports = dict(imports=['scaletrack', '_dump_params_hook'], "
        'allow_failed_imports=False)\n'
        f"custom_hooks = [dict(type='DumpParamsHook', out_dir={str(out_dir)!r}"
        f'{kwargs})]\n')
    return str(path)


def _save_atomic(obj, path: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
    os.close(fd)
    torch.save(obj, tmp)
    os.replace(tmp, path)


@HOOKS.register_module()
class DumpParamsHook(Hook):
    """Save each rank's parameters, optimizer state and clips (see module).

    Args:
        out_dir (str): folder for the dumps (created if missing).
        exit_after_epoch (int, optional): stop the process right after this
            (1-based) epoch has ended and been checkpointed.
    """

    # after every other hook, so CheckpointHook has written the epoch's
    # checkpoint before ``exit_after_epoch`` ends the process
    priority = 'LOWEST'

    def __init__(self,
                 out_dir: str,
                 exit_after_epoch: Optional[int] = None) -> None:
        self.out_dir = out_dir
        self.exit_after_epoch = exit_after_epoch
        self.clips = []

    def _dump(self, runner, tag: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        state = dict(
            params={
                k: v.detach().cpu().clone()
                for k, v in model.named_parameters()
            },
            buffers={
                k: v.detach().cpu().clone()
                for k, v in model.named_buffers()
            },
            optimizer=copy.deepcopy(runner.optim_wrapper.state_dict()),
            iter=runner.iter,
            epoch=runner.epoch,
            clips=list(self.clips))
        os.makedirs(self.out_dir, exist_ok=True)
        _save_atomic(state,
                     osp.join(self.out_dir, f'rank{get_rank()}_{tag}.pth'))

    def before_train(self, runner) -> None:
        self._dump(runner, 'before_train')

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        clips = []
        for track_sample in data_batch['data_samples']:
            clips.append([
                dict(
                    img_path=f.img_path,
                    flip=bool(f.flip),
                    scale_factor=tuple(f.scale_factor))
                for f in track_sample.video_data_samples
            ])
        self.clips.append(dict(iter=runner.iter, clips=clips))

    def after_train_epoch(self, runner) -> None:
        # the loop increments runner.epoch after this hook: epoch + 1 is the
        # number of the epoch that just ended (as in CheckpointHook)
        if self.exit_after_epoch is not None and \
                runner.epoch + 1 == self.exit_after_epoch:
            self._dump(runner, 'interrupted')
            os._exit(INTERRUPTED_EXIT_CODE)

    def after_train(self, runner) -> None:
        self._dump(runner, 'after_train')
