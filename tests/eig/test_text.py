from eig.text import fold


def test_fold_compares_french_words_as_people_read_them():
    assert fold("Données") == fold("DONNEES") == "donnees"
    assert fold("Œuvre") == "oeuvre" and fold("ex æquo") == "ex aequo"
    assert fold("Hélène Çà") == "helene ca"
    assert fold(None) == ""
