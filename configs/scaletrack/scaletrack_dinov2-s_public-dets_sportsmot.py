# SportsMOT with the official baseline detections (Tab. 4, †): HOTA/IDF1.
# A MOTChallenge-style benchmark is exhaustively annotated with one class:
# a track is born only from a confident detection (0.5, ByteTrack's default
# high-score threshold is 0.6; our detections are scored by the official
# YOLOX baseline).
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/sportsmot_val.py',
    '../_base_/default_runtime.py',
]
model = dict(tracker=dict(init_score_thr=0.5))
