# ScaleTrack-S trained on SA-V (Appendix A.1 recipe: 16 GPUs x 1 clip of 10
# frames, 5 epochs, AdamW 2e-4 decayed after epoch 2, clip grad 10), tested
# zero-shot on TAO val with MASA's Detic public detections (Tab. 3, †).
#   bash tools/dist_train.sh \
#     configs/scaletrack/scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py 16 --amp
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/sav_train.py',
    '../_base_/datasets/tao_val.py',
    '../_base_/schedules/adamw_5e.py',
    '../_base_/default_runtime.py',
]
# DINOv2-S weights: mmpretrain's release, by URL in the model base
# (configs/_base_/models/scaletrack_dinov2-s.py).
