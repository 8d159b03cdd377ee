"""The classroom: a shared practice server for a class, and the grader for students' clients.

- :mod:`~smtpshell.classroom.roster`: the roster file, generated passwords, the printable sheet.
- :mod:`~smtpshell.classroom.server`: the class server (the practice server with one account
  and one mailbox per student, the XCLASS extension, per-student faults) and the live model
  of the room the dashboard shows.
- :mod:`~smtpshell.classroom.recorder`, :mod:`~smtpshell.classroom.rubric`,
  :mod:`~smtpshell.classroom.grading`: ``smtpshell grade``.

This package sits above :mod:`smtpshell.server` and below the faces (the dashboard is in
:mod:`smtpshell.tui.classroom`); the core never imports it.
"""
