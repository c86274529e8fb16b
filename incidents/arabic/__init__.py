"""Arabic text handling: normalization for matching, sentences, numbers, dates, lexicons."""
