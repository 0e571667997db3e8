"""TAO (COCO-VID JSON with LVIS categories) for TETA and OV-MOT."""
from typing import List, Optional, Sequence, Union

from mmdet.registry import DATASETS
from mmengine.logging import print_log

from ..utils.file_io import load_json_file
from .coco_video_dataset import CocoVideoDataset

# LVIS frequency groups (Gupta et al. 2019): 'r' rare, 'c' common, 'f'
# frequent. The open-vocabulary split (OVTrack, Li et al. 2023; paper Sec. 4.1
# "Benchmarks") takes rare classes as novel and common + frequent as base.
NOVEL_FREQUENCIES = ('r', )
BASE_FREQUENCIES = ('c', 'f')

#: Named class lists: the label order of detectors trained on LVIS, i.e. the
#: LVIS categories sorted by id, as mmdet's LVIS datasets list them (MASA's
#: ``Taov1Dataset`` / ``Taov05Dataset`` take their ``METAINFO`` from them),
#: and of detectors trained on COCO (mmdet's ``CocoDataset`` classes, which
#: go with ``class_synsets``).
NAMED_CLASS_LISTS = ('lvis_v1', 'lvis_v05', 'coco')


def named_class_list(name: str) -> tuple:
    """The class names of a :data:`NAMED_CLASS_LISTS` entry, in label
    order (LVIS v1: 1203 classes, v0.5: 1230, COCO: 80)."""
    from mmdet.datasets import CocoDataset, LVISV1Dataset, LVISV05Dataset
    lists = dict(
        lvis_v1=LVISV1Dataset, lvis_v05=LVISV05Dataset, coco=CocoDataset)
    if name not in lists:
        raise ValueError(f"class_list '{name}' is unknown; use one of "
                         f'{NAMED_CLASS_LISTS}, a list of class names or '
                         'None (all categories of the file, in file order)')
    return tuple(lists[name].METAINFO['classes'])


@DATASETS.register_module()
class TAODataset(CocoVideoDataset):
    """TAO validation/test annotations (``validation.json`` or the LVIS v0.5 /
    v1 remapped files such as ``tao_val_lvis_v1_classes.json``).

    Annotations carry ``track_id`` (renumbered into ``instance_id``, unique
    across videos). ``metainfo`` additionally holds, aligned with
    ``classes``:

    * ``frequencies``: each class's LVIS frequency (``'r'``/``'c'``/``'f'``,
      or ``None`` when the file has none);
    * ``base_classes`` / ``novel_classes``: the OV-MOT split (``c``/``f`` base,
      ``r`` novel).

    Labels: label ``i`` is ``classes[i]``, the category of that name in the
    file. With public detections, ``classes`` must be the class list the
    detector labelled them in, given by ``class_list``:

    * ``None``: every category of the file, in file order;
    * ``'lvis_v1'`` / ``'lvis_v05'``: the LVIS categories sorted by id
      (mmdet's ``LVISV1Dataset`` / ``LVISV05Dataset`` classes); Detic
      (Swin-B) labels in LVIS v1, TETer in v0.5;
    * ``'coco'``: mmdet's 80 COCO classes, for detectors trained on COCO;
      they are not TAO category names, so they go with ``class_synsets``;
    * a sequence of class names.

    ``class_synsets`` (a JSON file in the format of TAO's
    ``data/coco_to_lvis_synset.json``: ``{class name: {"synset": ...}}``)
    matches each class to the category with that ``synset`` in the
    annotation file instead of by name, as TAO's own tools map COCO
    detections onto its LVIS categories. A class without an entry, or whose
    synset the file lacks, is an error naming both files.

    MASA (``TaoTETAMetric``) maps label ``i`` to the ``i``-th category of the
    annotation file, in file order, among those named in the class list
    (``COCO.get_cat_ids(cat_names=...)``). That is the same category when
    the file lists them in class-list order, as the LVIS-based TAO files
    do; otherwise a warning names the first label the two differ on.

    Test mode works frame by frame with mmdet's ``TrackImgSampler``.

    Args:
        class_list (str | Sequence[str], optional): see above. Conflicts
            with ``metainfo=dict(classes=...)``.
        class_synsets (str, optional): see above; ``None`` matches by name.
    """

    METAINFO = dict(classes=None)

    def __init__(self,
                 *args,
                 class_list: Optional[Union[str, Sequence[str]]] = None,
                 class_synsets: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if class_list is not None:
            if metainfo is not None and metainfo.get('classes') is not None:
                raise ValueError(
                    f'{type(self).__name__}: give the classes either as '
                    'class_list or as metainfo.classes, not both')
            names = (
                named_class_list(class_list)
                if isinstance(class_list, str) else tuple(class_list))
            metainfo = dict(metainfo or {}, classes=names)
        self.class_list = class_list
        self.class_synsets = class_synsets
        super().__init__(*args, metainfo=metainfo, **kwargs)

    def _select_by_synset(self, categories: List[dict]) -> List[dict]:
        """The category of each class's synset (``class_synsets``)."""
        wanted = self._metainfo.get('classes')
        if wanted is None:
            raise ValueError(
                f'{type(self).__name__}: class_synsets needs class_list '
                "(e.g. 'coco'): the detector's classes to map")
        synsets = load_json_file(
            self.class_synsets, 'class synset', backend_args=self.backend_args)
        by_synset = {c.get('synset'): c for c in categories}
        selected = []
        for name in wanted:
            entry = synsets.get(name)
            if not isinstance(entry, dict) or 'synset' not in entry:
                raise ValueError(
                    f'{self.class_synsets}: no synset for class "{name}"; '
                    "the file must map every class of class_list to "
                    '{"synset": ...} (the format of TAO\'s '
                    'data/coco_to_lvis_synset.json)')
            if entry['synset'] not in by_synset:
                raise ValueError(
                    f'{self.ann_file}: no category has the synset '
                    f'"{entry["synset"]}" of class "{name}" (from '
                    f'{self.class_synsets})')
            selected.append(by_synset[entry['synset']])
        return selected

    def _select_categories(self, categories: List[dict]) -> List[dict]:
        if self.class_synsets is not None:
            return self._select_by_synset(categories)
        selected = super()._select_categories(categories)
        wanted = {c['name'] for c in selected}
        masa_order = [c['name'] for c in categories if c['name'] in wanted]
        for label, (ours, masa) in enumerate(
                zip((c['name'] for c in selected), masa_order)):
            if ours != masa:
                print_log(
                    f'{self.ann_file}: label {label} is "{ours}" here (the '
                    f'class list order) but "{masa}" in MASA, which takes '
                    'the categories in file order; results differ from '
                    "MASA's unless the file lists them in class-list order",
                    'current',
                    level=30)  # logging.WARNING
                break
        return selected

    def _set_class_metainfo(self, selected: List[dict]) -> None:
        super()._set_class_metainfo(selected)
        freqs = tuple(c.get('frequency') for c in selected)
        self._metainfo['frequencies'] = freqs
        self._metainfo['novel_classes'] = tuple(
            c['name'] for c in selected
            if c.get('frequency') in NOVEL_FREQUENCIES)
        self._metainfo['base_classes'] = tuple(
            c['name'] for c in selected
            if c.get('frequency') in BASE_FREQUENCIES)
