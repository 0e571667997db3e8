# Appendix A.1: AdamW, lr 2e-4, decayed after epoch 2, 5 epochs, gradient
# clipping at max norm 10. The backbone (when unfrozen, Table 6) trains at
# 2e-5 = 0.1 x the base lr; a frozen backbone has no trainable parameters.
# weight_decay 1e-4 follows Deformable DETR, whose encoder the adapter is.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# step decay x0.1 after epoch 2
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=5,
        by_epoch=True,
        milestones=[2],
        gamma=0.1)
]
# 16 GPUs x 1 clip (the paper's setup); --auto-scale-lr scales lr from here
auto_scale_lr = dict(enable=False, base_batch_size=16)
