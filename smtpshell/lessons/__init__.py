"""The lessons shipped with smtpshell: ``NN-name.lesson`` files, run by ``smtpshell learn``.

Data, not code: the format is described in :mod:`smtpshell.learn.lesson` and
docs/teaching.md.  This file only makes the folder a package, so the files can be found with
``importlib.resources`` once installed.
"""
