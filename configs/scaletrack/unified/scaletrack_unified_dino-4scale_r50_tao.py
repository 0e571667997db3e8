# Unified variant (App. D) on mmdet's stock DINO 4-scale R50 (COCO): the
# adapter reads the four ChannelMapper levels of extract_feat (strides 8, 16,
# 32, 64, the levels DINO's own transformer reads); one backbone pass per
# frame serves detection and association.
#   python tools/test.py \
#     configs/scaletrack/unified/scaletrack_unified_dino-4scale_r50_tao.py CKPT
_base_ = ['./_unified_tao_test.py']
from mmengine.hub import get_config  # noqa: E402

detector = get_config('mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py').model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
detector.update(_scope_='mmdet')  # built from mmdet's registry
model = dict(detector=detector, feature_levels=(0, 1, 2, 3))
