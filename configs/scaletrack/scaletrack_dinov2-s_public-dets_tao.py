# Zero-shot TAO TETA with MASA's Detic (Swin-B) detections (Tab. 3, †):
#   python tools/test.py \
#       configs/scaletrack/scaletrack_dinov2-s_public-dets_tao.py CKPT
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/tao_val.py',
    '../_base_/default_runtime.py',
]
