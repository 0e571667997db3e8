"""Settings shared by tools/train.py and tools/test.py.

Everything here adapts a config to the machine it runs on; the training and
evaluation themselves are mmengine's Runner.
"""
import os
import os.path as osp
import warnings

import torch
from mmengine.config import Config


def prepare_runner_cfg(cfg: Config, args, config_path: str) -> Config:
    """Apply the command-line options that tools/train.py and test.py share.

    * ``--work-dir``: CLI > config > ``./work_dirs/<config name>``.
    * ``--launcher``: on a machine without CUDA the process group uses gloo
      (NCCL needs GPUs), and DDP must not be given CUDA device ids.
    """
    cfg.launcher = args.launcher
    if getattr(args, 'cfg_options', None):
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    if args.launcher != 'none' and not torch.cuda.is_available():
        env_cfg = cfg.setdefault('env_cfg', {})
        dist_cfg = env_cfg.setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
        # mmengine 0.10.7's init_dist calls torch.cuda.set_device even for
        # gloo; a process group started here makes the Runner skip init_dist
        if args.launcher == 'pytorch' and not torch.distributed.is_initialized(
        ):
            torch.distributed.init_process_group(backend=dist_cfg['backend'])
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel')
        wrapper.setdefault('device_ids', None)
        wrapper.setdefault('broadcast_buffers', False)
        cfg.model_wrapper_cfg = wrapper
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(getattr(args, 'local_rank', 0))
    return cfg


def enable_amp(cfg: Config) -> Config:
    """Mixed precision (Appendix A, "Efficiency") where CUDA is available."""
    if not torch.cuda.is_available():
        warnings.warn('--amp ignored: no CUDA device, training in fp32')
        return cfg
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'
    return cfg
