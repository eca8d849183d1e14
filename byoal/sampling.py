"""Seeded random choices: which records form the seed batch and the validation set."""

from __future__ import annotations

import random


def choose_positions(population: int, count: int, *, seed: int | str) -> set[int]:
    """`count` distinct positions in ``range(population)``, the same for the same seed."""
    return set(random.Random(seed).sample(range(population), min(count, population)))


def stratified_quotas(available_by_class: list[int], total: int) -> list[int]:
    """Split `total` across classes in proportion to what each has (largest remainder), never over it."""
    available = sum(available_by_class)
    total = min(total, available)
    if total <= 0:
        return [0] * len(available_by_class)
    exact = [total * count / available for count in available_by_class]
    quotas = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda index: exact[index] - quotas[index], reverse=True)
    for index in by_remainder:
        if sum(quotas) == total:
            break
        if quotas[index] < available_by_class[index]:
            quotas[index] += 1
    return quotas
