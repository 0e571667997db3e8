"""Registration helpers for scripts (configs use ``custom_imports``)."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmdet's and ScaleTrack's modules into mmdet's registries.

    ScaleTrack registers into mmdet's registries, so the default scope is
    ``mmdet``. Scripts call this once; configs instead use
    ``custom_imports=dict(imports=['scaletrack'])`` and
    ``default_scope='mmdet'``.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``mmdet`` (as mmdet's own ``register_all_modules`` does).
    """
    from mmdet.utils import register_all_modules as mmdet_register
    mmdet_register(init_default_scope=False)
    import scaletrack  # noqa: F401  (registers on import)

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmdet')
        if never_created:
            DefaultScope.get_instance('mmdet', scope_name='mmdet')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmdet':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmdet", '
                          '`register_all_modules` will force the current'
                          'default scope to be "mmdet". If this is not '
                          'expected, please set `init_default_scope=False`.')
            # avoid name conflict
            new_instance_name = f'mmdet-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmdet')
