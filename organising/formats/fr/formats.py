"""French dates as French readers write them: "2 déc. 2026 à 00 h 04".

Django's own French formats stay for what is not set here (input formats, numbers)."""

DATE_FORMAT = "j F Y"  # 2 décembre 2026
TIME_FORMAT = "H\u00a0\\h\u00a0i"  # 00 h 04
DATETIME_FORMAT = "j F Y à H\u00a0\\h\u00a0i"
SHORT_DATE_FORMAT = "j N Y"  # 2 déc. 2026
SHORT_DATETIME_FORMAT = "j N Y à H\u00a0\\h\u00a0i"  # 2 déc. 2026 à 00 h 04
YEAR_MONTH_FORMAT = "F Y"  # décembre 2026
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1
