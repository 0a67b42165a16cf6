"""Words of a draft that say nothing about its subject, for suggestions."""

# ruff: noqa: RUF001  # Russian and Czech words are the point
# Words of a draft that say nothing about its subject, in the desk's three languages (the
# shorter ones go by MIN_SUGGEST_LENGTH). PostgreSQL's configurations drop their own too;
# without these, SQLite would suggest every article that says "the" or "что".
STOP_WORDS = frozenset(
    """
    about after again all also and any are because been before but can cannot could did
    does doing down during each few for from had has have having her here hers him his how
    into its just more most not now off once only other our ours out over own same she
    should some such than that the their them then there these they this those through too
    under until very was were what when where which while who whom why will with would you
    your yours please hello thanks thank since still

    без был была были было быть вам вас весь всё все всех где даже для его если есть ещё
    как когда кто ли меня мне может мы над наш наша наше наши нас нет нею них однако она
    они оно опять очень под после при про раз сам свой себя так также там тебя тем теперь
    то того тоже только том тот тут уже хотя чем через что чтобы чуть эти это этот эта
    здравствуйте спасибо пожалуйста

    ale ani aby bez byl byla bylo jak jako jsem jsme jsou již jen kde když který která které
    mezi můj nad nebo není pod pokud proto při pro tak také ten tato tento teď už vám však
    všechny zde dobrý den děkuji prosím
    """.split()  # noqa: SIM905  # a list literal of 200 words reads worse
)
