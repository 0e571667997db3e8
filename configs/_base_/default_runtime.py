# ScaleTrack registers into mmdet's registries: default scope 'mmdet'.
default_scope = 'mmdet'
custom_imports = dict(imports=['scaletrack'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # one checkpoint per epoch, the last 3 kept (a killed run resumes from
    # the newest with --resume); 'atomic_local' (scaletrack/utils/
    # checkpoint.py) writes each to a temporary file renamed into place, so
    # a kill during the save never leaves a truncated checkpoint
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='TrackVisualizationHook', draw=False))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='ScaleTrackVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False

# mmengine's default randomness: one seed for every rank, so a run (and its
# resume) is reproducible. For different augmentation draws per rank set
# randomness=dict(seed=..., diff_rank_seed=True): mmengine then also draws
# the sampler's seed at random, and a resumed run no longer replays the
# uninterrupted one exactly.
