# mmdet's stock one-stage RetinaNet R50-FPN (COCO) + ScaleTrack-S on TAO: the
# frames go through the detector (./_detector_tao_test.py). Only the
# detector config's `model` is used (mmengine.hub.get_config loads it from
# the installed mmdet); its data, schedule and runtime settings are not.
# Detector weights: --detector-checkpoint (demo) or model.detector.init_cfg.
_base_ = ['./_detector_tao_test.py']
from mmengine.hub import get_config  # noqa: E402

detector = get_config('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py').model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
detector.update(_scope_='mmdet')  # built from mmdet's registry
model = dict(detector=detector)
