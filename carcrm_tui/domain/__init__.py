"""Pure rules of the dealership: no I/O, no Textual, no Peewee, no clock reads.

Every function that depends on "now" takes it as an argument so the rules can
be tested to the minute.
"""
