"""mmdet's TrackLocalVisualizer with seaborn-free, deterministic colours.

mmdet's version picks colours with seaborn and reseeds numpy's global RNG on
every box; this one takes :func:`id_color`, so ``--show-dir`` and the demo
need no extra package and leave the RNG alone.
"""
import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.visualization import TrackLocalVisualizer
from mmengine.structures import InstanceData

from .palette import id_color


@VISUALIZERS.register_module()
class ScaleTrackVisualizer(TrackLocalVisualizer):
    """Draws boxes, class names, ids and scores; one colour per track id."""

    def _draw_instances(self, image: np.ndarray,
                        instances: InstanceData) -> np.ndarray:
        self.set_image(image)
        if len(instances) == 0 or 'bboxes' not in instances:
            return self.get_image()
        classes = self.dataset_meta.get('classes', None)
        ids = [int(i) for i in instances.instances_id]
        colors = [id_color(i) for i in ids]
        labels = [int(x) for x in instances.labels]
        names = [
            classes[x]
            if classes is not None and 0 <= x < len(classes) else f'cls{x}'
            for x in labels
        ]
        if 'scores' in instances:
            texts = [
                f'{n} {i} | {float(s):.2f}'
                for n, i, s in zip(names, ids, instances.scores)
            ]
        else:
            texts = [f'{n} {i}' for n, i in zip(names, ids)]
        bboxes = instances.bboxes
        bboxes = bboxes.detach().cpu() if hasattr(bboxes, 'detach') \
            else np.asarray(bboxes)
        self.draw_bboxes(
            bboxes,
            edge_colors=colors,
            alpha=self.alpha,
            line_widths=self.line_width)
        for text, box, color in zip(texts, bboxes, colors):
            self.draw_texts(
                text,
                np.array([float(box[0]) + 2,
                          float(box[1]) + 2]),
                colors='black',
                font_sizes=9,
                bboxes=[{
                    'facecolor': [c / 255 for c in color],
                    'alpha': 0.8,
                    'pad': 0.5,
                    'edgecolor': 'none'
                }])
        return self.get_image()

    def draw_tracks(self, image_rgb: np.ndarray,
                    instances: InstanceData) -> np.ndarray:
        """Return ``image_rgb`` (H x W x 3, RGB) with the tracks drawn."""
        return self._draw_instances(image_rgb, instances)
