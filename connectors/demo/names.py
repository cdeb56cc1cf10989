"""Synthetic name lists for the demo school.

Common British first names and surnames, combined at random, so no generated
person is anyone in particular. The names of the real people mentioned in the
policies under ``shared/seeds`` are deliberately absent (a test checks it).
"""

from __future__ import annotations

GIRLS = (
    "Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
    "Evelyn", "Sienna", "Daisy", "Phoebe", "Sophie", "Harper", "Alice", "Matilda", "Ruby", "Isabelle",
    "Millie", "Esme", "Maisie", "Layla", "Zara", "Aisha", "Hannah", "Jessica", "Erin", "Niamh",
    "Orla", "Megan", "Chloe", "Holly", "Imogen", "Martha", "Harriet", "Eliza", "Maya", "Nadia",
)

BOYS = (
    "Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Oscar", "Harry", "Archie", "Jack",
    "Henry", "Charlie", "Freddie", "Theodore", "Thomas", "Finley", "Theo", "Alfie", "Jacob", "Isaac",
    "Lucas", "Edward", "Arlo", "Teddy", "Joshua", "Max", "William", "James", "Ethan", "Reuben",
    "Rory", "Hugo", "Louis", "Ibrahim", "Samuel", "Daniel", "Callum", "Kai", "Riley", "Ollie",
    "Toby", "Dylan", "Elliot", "Ronan", "Owen", "Rhys", "Aarav", "Yusuf", "Joseph", "Albie",
)

ADULT_FIRST = (
    "Sarah", "Claire", "Rachel", "Emma", "Laura", "Helen", "Rebecca", "Nicola", "Joanne", "Victoria",
    "Gemma", "Katie", "Louise", "Amanda", "Kirsty", "Hayley", "Catherine", "Lucy", "Fiona", "Priya",
    "Paul", "Mark", "David", "Andrew", "Richard", "Simon", "Stephen", "Matthew", "Gareth", "Neil",
    "Stuart", "Ian", "Jonathan", "Adam", "Craig", "Wayne", "Dean", "Martin", "Sanjay", "Imran",
)

SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Begum", "Shaw", "Carter", "Khan", "Marshall", "Hussain", "Ellis", "Lloyd",
    "Bailey", "Owen", "Holmes", "Mills", "Chapman", "Knight", "Fletcher", "Ahmed", "Webb", "Rogers",
)

# Names that appear in the source policies (real people or their schools); never generated.
EXCLUDED = frozenset({"Tunde", "Read", "Tim", "Cox", "Malcolm", "Sargent"})
