"""The words the room is read by, in English, French, Spanish, German and Portuguese: what a
message asks for (tone.py has how it is said).

Kinds of words, not phrasings: what opens a question, who a message turns to, what asks for
work, options or a recap, what general knowledge answers, what only the members can. All is
folded (lower case, accents and apostrophes stripped), so "Qué", "que" and "QUE" are one word,
and slang and missing accents read as their plain forms. reading.py reads a message with them.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    return frozenset(text.replace("'", "").split())


def phrases(text: str) -> tuple[tuple[str, ...], ...]:
    """Phrases, one per line (folded as messages are: no accents, no apostrophes)."""
    return tuple(tuple(line.replace("'", "").split()) for line in text.strip().splitlines() if line.strip())


# The first word of a question (after fillers such as "so", "ok", "wait", "btw").

OPENERS = words(
    """
    what whats wat wut how hows when whens where wheres why who whos whose whom which
    is are was do does did can could would should will shall has have isnt arent wasnt dont
    doesnt didnt cant wont shouldnt
    qui quoi quel quelle quels quelles quand ou comment pourquoi combien est-ce
    quien quienes cual cuales cuando donde adonde como cuanto cuanta cuantos cuantas
    wer wen wem wessen wie wann wo woher wohin warum wieso weshalb welche welcher welches welchen
    wieviel wieviele gibts kann koennt konnt hat habt ist sind seid muss
    quem qual quais quando onde cade quanto quanta quantos quantas sera
    """
)

# What general knowledge answers: how things work, what is true, safe, allowed or best.

GENERAL = words(
    """
    difference true safe bad normal legal illegal allowed rule rules law mean means meaning work
    works working support supports happen happens cause causes explain best way long much many
    often fix keep keeps healthy dangerous myth
    difference vrai dangereux normal legal loi regle signifie marche fonctionne pourquoi comment
    diferencia verdad peligroso normal legal ley regla significa funciona porque por
    unterschied wahr gefahrlich normal legal erlaubt gesetz regel bedeutet funktioniert warum
    diferenca verdade perigoso normal legal lei regra significa funciona porque
    """
)

# When: the group's own arrangements are what these questions are about.

WHEN_HERE = words(
    """
    tonight today tomorrow yesterday tmrw tmr later morning afternoon evening weekend
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun
    ce soir aujourdhui demain hier matin weekend lundi mardi mercredi jeudi vendredi samedi dimanche
    hoy manana ayer tarde finde lunes martes miercoles jueves viernes sabado domingo
    heute morgen gestern abend wochenende montag dienstag mittwoch donnerstag freitag samstag sonntag
    hoje amanha ontem noite sabado domingo segunda terca quarta quinta sexta
    """
)

# Being somewhere, coming along, having something on: for the members to say.

PRESENCE = words(
    """
    coming going joining free around home awake bringing driving ready available
    viens venez dispo disponible libre
    vienes venis vas libre disponible
    kommst kommt seid bist frei zuhause
    vem vens vai livre disponivel
    """
)

OR = words("or ou oder")  # choices offered: "who should I play, A or B" asks for advice
WHO = words("who whos whom qui quien quienes wer wen wem quem")

# Openers that are questions only when something else says so ("que", "como", "o" begin

# statements too); "que" on its own opens a question in Spanish and French speech.

WEAK_OPENERS = words("que o como was")

FILLERS = words(
    """
    so ok okay k wait and but also oh hmm hm um umm uh btw anyway anyways quick question q real
    ugh ah ahh welp random serious honest genuine lowkey ngl tbh fr like dumb stupid
    alors bon bah euh et mais du coup sinon pues bueno oye y pero entonces also und aber na sag mal
    entao tipo ai e mas hey yo guys lads chicos leute galera malta
    """
)

# Turning to the whole group (or to anyone in it) rather than to one person.

GROUP = words(
    """
    anyone anybody anyones someone somebody someones everyone everybody yall guys folks people
    team gang peeps chat fam lads y'all
    quelqu'un qqn quelquun vous tlm
    alguien alguno ustedes vosotros vosotras chicos chicas gente todos
    jemand jemanden irgendwer irgendjemand ihr euch leute alle
    alguem voces vcs galera pessoal malta
    """
)

GROUP_PHRASES = phrases(
    """
    you guys
    you all
    you lot
    all of you
    tout le monde
    les gars
    """
)

# Knowing, wondering, looking for: asking without a question's shape.

# Wondering aloud is asking, whoever it turns to.

WONDERING = words("wonder wondering curious demande pregunto frage pergunto")

KNOWING = words(
    """
    know knows knew wonder wondering curious clue
    sait savez sais savoir connait connaissez demande
    sabe sabes sabeis saben sabra conoce conoceis pregunto
    weiss weisst wisst kennt kennst frage
    sabem conhece conhecem pergunto
    """
)

WANTING = words(
    """
    recommend recommendation recommendations recs suggest suggestions advice tips ideas options
    alternatives
    conseil conseils recommander recommandation idees suggestions propositions
    recomienda recomiendan recomendacion recomendaciones consejo consejos ideas sugerencias opciones
    empfehlen empfehlung empfehlungen tipps ideen vorschlaege vorschlag optionen
    recomenda recomendam recomendacao dicas ideias sugestoes opcoes
    """
)

# The one who might lend a hand: "can someone", "kann jemand", "alguien puede".

ANYONE = words("anyone anybody someone somebody quelquun qqn alguien alguno jemand irgendwer alguem")

ANYONE_FIRST = words("quelquun qqn alguien alguno alguem")  # "alguien puede ...?" asks too

MODALS = words(
    """
    can could would will cant
    peut pourrait peux
    puede podria podeis pueden
    kann koennte
    pode poderia podem
    """
)

NEED = words("need needs faut besoin necesitamos hace falta brauchen muessen precisamos")

# Asking for work: a plan, a list, a draft, a comparison, a choice made.

WORK = words(
    """
    write draft plan list outline summarize summarise sum compare explain lay organise organize
    figure calculate convert translate check pick choose decide schedule break settle rank
    ecrire rediger faire lister resumer comparer expliquer proposer choisir planifier organiser
    escribir redactar hacer resumir comparar explicar proponer elegir decidir organizar planear
    schreiben machen planen auflisten zusammenfassen vergleichen erklaeren vorschlagen entscheiden
    aussuchen organisieren
    escrever fazer planejar listar resumir comparar explicar sugerir escolher decidir organizar
    """
)

CAN = words(
    """
    can could would will pls plz please someone somebody anyone help
    peut peux pourrait pourriez svp stp aide
    puede puedes podria podrias porfa porfavor ayuda
    kann kannst koennte koenntest bitte hilfe
    pode podes poderia podia ajuda
    """
)

# A call for the conversation so far, in short.

RECAP = words(
    """
    recap summary summarize summarise summarized tldr tl;dr gist
    resume recapitulatif recap resumer
    resumen resumir resumido
    zusammenfassung zusammenfassen zusammengefasst
    resumo resumir
    """
)

RECAP_PHRASES = phrases(
    """
    what did i miss
    what have i missed
    what'd i miss
    catch me up
    fill me in
    up to speed
    where did we land
    where are we at
    where did we end up
    what did we decide
    what was decided
    what did we agree
    both sides
    sum up
    sum it up
    tl dr
    short version
    the gist
    version courte
    en resumen
    kurz gesagt
    em resumo
    j'ai rate
    j'ai loupe
    on en est ou
    qu'est ce qu'on a decide
    les deux cotes
    que me perdi
    que me he perdido
    en que quedamos
    que decidimos
    ambos lados
    was hab ich verpasst
    was habe ich verpasst
    was haben wir entschieden
    beide seiten
    o que perdi
    o que eu perdi
    em que ficou
    o que ficou decidido
    o que decidimos
    os dois lados
    """
)

# Questions a number, a time, a place or a link answers.

FIGURES = words(
    """
    when many much long often old far where link address
    quand combien ou lien adresse
    cuando cuanto cuantos cuanta cuantas donde enlace direccion
    wann wieviel wieviele wie lange wo link adresse
    quando quanto quantos quanta quantas onde
    """
)

FIGURE_PHRASES = phrases(
    """
    what time
    quelle heure
    que hora
    wie spat
    wie viel
    que horas
    """
)

# "Why is it always me", "how is it already December": asked of the world, not the group.

# "How's everyone doing", "ça va", "qué tal": asking after people, socially.

# Not knowing, or a shrug: a reply that leaves a question open.

# The plain "you" of one person: "are you coming", "tu viens", "kommst du".

YOU_ONE = words(
    """
    you u ur your youre yours you'll you've
    tu toi ton ta tes t'as t'es
    tu te ti tus vos
    du dich dir dein deine deinen bist hast kommst
    tu voce vc teu tua
    """
)

# First person plural: the group's own plans, for the group to settle or to be helped with.

WE = words(
    """
    we us our ours we're let's lets
    nous notre nos
    nosotros nosotras vamos nuestro nuestra podemos
    wir uns unser unsere
    nosso nossa vamos podemos
    """
)

# Words of taste and banter: a disagreement in them is no factual dispute.

# Setting someone right about a fact, in so many words.

# Doubting it, more softly: a dispute only about the same thing.

# Done with it: the asker found out, or let it go.

# A plain "no" opening a line: disagreement, about a fact when one follows.

# Opening a reaction, not an answer: "ooh sintra", "oof", "rip".

# Yes or no, and the questions they answer ("is the pool open today?" "yes till 9").

AUX = words(
    """
    is are was do does did can could will would should has have isnt arent dont doesnt didnt
    est-ce es esta hay puedo puedes ist sind hat gibt kann e tem pode
    """
)

# Hedging: a guess, not an answer ("I think yes?", "don't quote me", "creo que").

# Taking what was said: "ok", "makes sense", "perfect".
