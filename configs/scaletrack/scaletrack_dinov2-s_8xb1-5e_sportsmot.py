# ScaleTrack-S trained in-domain on SportsMOT train only (paper Table 8) and
# evaluated on SportsMOT val with the official public detections (†):
#   bash tools/dist_train.sh \
#       configs/scaletrack/scaletrack_dinov2-s_8xb1-5e_sportsmot.py 8 --amp
# The paper gives no separate recipe for this run, so it is Appendix A.1's
# (AdamW 2e-4, 5 epochs, decay after epoch 2, clip 10) on 8 GPUs, with 20
# clips per video per epoch (sportsmot_train.py); --auto-scale-lr scales the
# lr from the 16-clip base batch.
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/sportsmot_train.py',
    '../_base_/datasets/sportsmot_val.py',
    '../_base_/schedules/adamw_5e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    # no proposal files for SportsMOT: negatives are the other players
    track_head=dict(max_proposals_per_frame=0))
