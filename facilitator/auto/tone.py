"""How a message is said, in English, French, Spanish, German and Portuguese: laughing, shrugging,
guessing, agreeing, greeting, thanking, setting someone right, asking the world rather than the
group. Folded as lexicon.py folds (lower case, no accents, no apostrophes); read by
facilitator/auto/reading.py.
"""

from __future__ import annotations

from facilitator.auto.lexicon import phrases, words

LAUGHTER = words(
    """
    lol lool lmao lmfao lmaoo rofl haha hahaha hahahaha hehe hihi heh xd xdd kek
    jaja jajaja jajajaja jeje mdr mdrr ptdr xptdr kkk kkkk kkkkk kkkkkk rsrs rsrsrs huehue
    """
)

LAUGHING_MARKS = frozenset("😂🤣💀😭😆😹")

RHETORIC = words(
    "always already even ever toujours deja meme siempre ya incluso immer schon ueberhaupt sempre ja sequer"
)

WHY = words("why pourquoi porque warum wieso")
HOW = words("how comment como wie")
EVEN = words("even meme incluso ueberhaupt sequer")  # "how do you even ...": exasperated, still asking

SOCIAL_PHRASES = phrases(
    """
    how's everyone
    hows everyone
    how are you all
    how are we all
    how is everyone
    ca va
    que tal
    como estais
    como estan
    wie gehts
    wie geht es euch
    tudo bem
    como voces estao
    """
)

SHRUG = words("idk dunno idek jsp nose sei sorry desole perdon lo siento tut leid desculpa")

SHRUG_PHRASES = phrases(
    """
    no idea
    not sure
    no clue
    good question
    same question
    nobody knows
    no one knows
    also wondering
    i don't know
    i dont know
    je sais pas
    je ne sais pas
    aucune idee
    bonne question
    ni idea
    no se
    no lo se
    buena pregunta
    keine ahnung
    weiss nicht
    weiss ich nicht
    gute frage
    nao sei
    sei la
    boa pergunta
    """
)

GREETING = words(
    """
    hi hey hello hiya yo sup gm morning mornin night nite gn goodnight gnight bye cya later
    bonjour salut coucou bonsoir bisous bonne
    hola buenas buenos chao adios
    hallo moin servus tschuess nacht n8
    oi ola bom boa tchau
    """
)

TASTE = words(
    """
    best worst better worse elite mid overrated underrated trash goat fav fave favorite favourite
    love hate prefer cringe based sucks rocks ugly cute
    meilleur meilleure pire prefere nul nulle
    mejor peor prefiero odio
    besser schlechter lieblings hasse
    melhor pior prefiro odeio
    """
)

CONTRADICT = words(
    """
    wrong false incorrect myth untrue debunked
    faux fausse mythe
    falso equivocado equivocada incorrecto mito
    falsch quatsch mythos
    errado errada incorreto mentira mito
    """
)

CONTRADICT_PHRASES = phrases(
    """
    not true
    can't be right
    cant be right
    can't be true
    that's not true
    c'est faux
    pas vrai
    eso no es
    no es verdad
    das stimmt nicht
    stimmt nicht
    stimmt so nicht
    nao e verdade
    nao e bem assim
    """
)

DOUBT = words("actually technically literally eigentlich doch")

DOUBT_PHRASES = phrases(
    """
    pretty sure
    i thought it was
    no it's
    no its
    no it was
    it's not
    en fait
    je crois pas
    en realidad
    creo que no
    ich glaube nicht
    na verdade
    acho que nao
    """
)

SETTLED = phrases(
    """
    never mind
    nvm
    found it
    got it
    figured it out
    all good
    no worries
    laisse tomber
    c'est bon
    trouve
    olvidalo
    ya esta
    lo encontre
    egal
    hab's
    gefunden
    deixa
    achei
    ja era
    """
)

NO = words("no nope nah non nein nee nao naw")

INTERJECTIONS = words(
    """
    oh ooh oof wow rip omg ugh aww yikes damn nice same bruh yay oops welp lol lmao haha dang
    ah oups ouah putain oh la mdr
    ay uy hala vaya jaja ostras
    oh ach oje boah krass
    nossa eita caramba poxa kkk
    """
)

YES_NO = words("yes yeah yep yup ya no nope nah sure si oui non ja nein nee sim nao claro")

HEDGES = words(
    """
    think maybe probably guess prob perhaps dunno crois pense peut-etre creo quizas igual glaube
    vielleicht wahrscheinlich acho talvez
    """
)

HEDGE_PHRASES = phrases(
    """
    don't quote me
    not sure
    i think
    i guess
    je crois
    je pense
    creo que
    ich glaube
    eu acho
    """
)

AGREE = words(
    """
    ok okay k cool perfect great nice fair true thx yes yep dacord parfait vale genial perfecto gut
    super passt beleza perfeito fixe
    """
)

THANKS = words("thanks thank thx ty tysm merci gracias danke obrigado obrigada vielen")
