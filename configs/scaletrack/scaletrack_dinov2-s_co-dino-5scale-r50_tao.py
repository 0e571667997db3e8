# Co-DETR (Co-DINO) + ScaleTrack-S (the paper's "ScaleTrack (CoDETR)", Tab. 3).
# Needs MMDET_ROOT (an mmdetection 3.3 source tree) on PYTHONPATH, see
# ./detectors/co-dino-5scale_r50_lsj_coco.py. A child's custom_imports
# replaces its base's, so both packages are restated here.
_base_ = ['./detectors/co-dino-5scale_r50_lsj_coco.py', './_detector_tao_test.py']
custom_imports = dict(
    imports=['projects.CO-DETR.codetr', 'scaletrack'],
    allow_failed_imports=False)
model = dict(detector=_base_.detector)
