"""A course's grading scheme: which graded items it has, which category each counts
in, with what weight and drop-lowest, and the letter scale.

The graded items are the course's published quizzes of type ``graded`` (practice
quizzes never count) and its assignment lessons. A category takes every item of its
``item_type`` or the items it lists in ``items``; an item listed explicitly belongs to
that category only, and an item in no category does not count (it is still shown).
Without a scheme of its own, a course counts every graded item equally, in one category
"All items", with the default scale (A 90, B 80, C 70, D 60, F 0).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import RuleViolation
from lms.modules import courses, quizzes
from lms.modules.grades import repository
from lms.modules.grades.repository import ScoredItem
from lms.modules.grades.schemas import (
    CategoryIn,
    GradeItem,
    GradingSchemeIn,
    GradingSchemeRead,
    ItemKind,
    LetterGrade,
)

DEFAULT_CATEGORY = "All items"


class InvalidGradingScheme(RuleViolation):
    code = "invalid_grading_scheme"
    detail = "The grading scheme is not valid."


@dataclass(frozen=True)
class Item:
    id: uuid.UUID
    kind: ItemKind
    title: str


@dataclass(frozen=True)
class Layout:
    """A course's scheme applied to its current items."""

    course_id: uuid.UUID
    scheme: GradingSchemeIn
    is_default: bool
    items: list[Item]
    categories: list[CategoryIn]
    category_of: dict[uuid.UUID, int] = field(default_factory=dict)
    updated_at: datetime | None = None
    # The items whose grades students do not see yet.
    hidden: frozenset[uuid.UUID] = frozenset()

    def scored_items(self, *, released_only: bool) -> list[ScoredItem]:
        """The items the figures count, with their category's weight (cents of a percent)
        and drop-lowest."""
        hidden = self.hidden if released_only else frozenset()
        found = []
        for item in self.items:
            index = self.category_of.get(item.id)
            if index is None or item.id in hidden:
                continue
            category = self.categories[index]
            found.append(
                ScoredItem(
                    item_id=item.id,
                    category=index,
                    weight=int(category.weight * 100),
                    drop_lowest=category.drop_lowest,
                )
            )
        return found

    def grade_items(self) -> list[GradeItem]:
        hidden = self.hidden
        return [
            GradeItem(
                id=item.id,
                kind=item.kind,
                title=item.title,
                category=self.categories[self.category_of[item.id]].name
                if item.id in self.category_of
                else None,
                released=item.id not in hidden,
            )
            for item in self.items
        ]

    def letter(self, grade: Decimal | None) -> str | None:
        if grade is None:
            return None
        for step in self.scheme.scale:
            if grade >= step.min_percent:
                return step.letter
        return None


async def course_items(session: AsyncSession, course_id: uuid.UUID) -> list[Item]:
    """The course's graded items: its counting quizzes (oldest first), then its
    assignment lessons in course order."""
    found = [
        Item(id=quiz.id, kind="quiz", title=quiz.title)
        for quiz in await quizzes.list_graded_quizzes(session, course_id)
    ]
    lesson_ids = await courses.list_lesson_ids(session, course_id)
    lessons = await courses.get_lessons(session, lesson_ids)
    found += [
        Item(id=lesson_id, kind="assignment", title=lessons[lesson_id].title)
        for lesson_id in lesson_ids
        if lesson_id in lessons and lessons[lesson_id].lesson_type == "assignment"
    ]
    return found


def _categorise(
    scheme: GradingSchemeIn, items: list[Item]
) -> tuple[list[CategoryIn], dict[uuid.UUID, int]]:
    if not scheme.categories:
        everything = CategoryIn(name=DEFAULT_CATEGORY, weight=Decimal("100"), items=None)
        return [everything], {item.id: 0 for item in items}
    known = {item.id for item in items}
    category_of: dict[uuid.UUID, int] = {}
    for index, category in enumerate(scheme.categories):
        for item_id in category.items or ():
            if item_id in known:
                category_of.setdefault(item_id, index)
    for index, category in enumerate(scheme.categories):
        if category.item_type is None:
            continue
        for item in items:
            if item.kind == category.item_type and item.id not in category_of:
                category_of[item.id] = index
    return list(scheme.categories), category_of


async def load_layout(session: AsyncSession, course_id: uuid.UUID) -> Layout:
    items = await course_items(session, course_id)
    stored = await repository.get_scheme(session, course_id)
    scheme = GradingSchemeIn() if stored is None else GradingSchemeIn.model_validate(stored.scheme)
    categories, category_of = _categorise(scheme, items)
    return Layout(
        course_id=course_id,
        scheme=scheme,
        is_default=stored is None,
        items=items,
        categories=categories,
        category_of=category_of,
        updated_at=None if stored is None else stored.updated_at,
        hidden=frozenset(scheme.hidden_items),
    )


def scheme_read(layout: Layout) -> GradingSchemeRead:
    return GradingSchemeRead(
        **layout.scheme.model_dump(),
        is_default=layout.is_default,
        items=layout.grade_items(),
        updated_at=layout.updated_at,
    )


def _check_categories(categories: list[CategoryIn], known: set[uuid.UUID]) -> None:
    if not categories:
        return
    total = sum((category.weight for category in categories), Decimal("0"))
    if total != Decimal("100"):
        raise InvalidGradingScheme(f"The category weights sum to {total}, not 100.")
    names = [category.name.casefold() for category in categories]
    if len(set(names)) != len(names):
        raise InvalidGradingScheme("Two categories have the same name.")
    types = [category.item_type for category in categories if category.item_type is not None]
    if len(set(types)) != len(types):
        raise InvalidGradingScheme("Two categories take the same item type.")
    listed: set[uuid.UUID] = set()
    for category in categories:
        if (category.item_type is None) == (category.items is None):
            raise InvalidGradingScheme(
                f"Category {category.name!r} needs either an item_type or a list of items."
            )
        for item_id in category.items or ():
            if item_id not in known:
                raise InvalidGradingScheme(f"{item_id} is not a graded item of this course.")
            if item_id in listed:
                raise InvalidGradingScheme(f"{item_id} is listed twice.")
            listed.add(item_id)
        if category.items is not None and not category.items:
            raise InvalidGradingScheme(f"Category {category.name!r} lists no items.")


def _check_scale(scale: list[LetterGrade]) -> None:
    letters = [step.letter for step in scale]
    if len(set(letters)) != len(letters):
        raise InvalidGradingScheme("A letter appears twice in the scale.")
    for higher, lower in itertools.pairwise(scale):
        if lower.min_percent >= higher.min_percent:
            raise InvalidGradingScheme("The scale's min_percent must go strictly down.")
    if scale[-1].min_percent != 0:
        raise InvalidGradingScheme("The scale's last letter must start at 0.")


async def get_scheme(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> GradingSchemeRead:
    """The course's scheme, for its team (``CoursePolicy.read_roster``)."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    return scheme_read(await load_layout(session, access.course.id))


async def put_scheme(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, data: GradingSchemeIn
) -> GradingSchemeRead:
    """Replace the course's scheme (its editors: ``CoursePolicy.edit``), validated: 422
    ``invalid_grading_scheme`` with the reason."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.edit
    )
    known = {item.id for item in await course_items(session, access.course.id)}
    _check_categories(data.categories, known)
    _check_scale(data.scale)
    for item_id in data.hidden_items:
        if item_id not in known:
            raise InvalidGradingScheme(f"{item_id} is not a graded item of this course.")
    await repository.save_scheme(
        session, course_id=access.course.id, scheme=data.model_dump(mode="json"), by=principal.id
    )
    return scheme_read(await load_layout(session, access.course.id))
