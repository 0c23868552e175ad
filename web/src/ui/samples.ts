/** Photos to try without uploading: images that ship in PyPI packages (scripts/figures/samples.py copies them). */
export const SAMPLES = [
  { file: 'chelsea.jpg', label: 'Chelsea the cat', credit: "scikit-image's chelsea (Stefan van der Walt, CC0)" },
  { file: 'astronaut.jpg', label: 'Astronaut', credit: "scikit-image's astronaut (Eileen Collins, NASA, public domain)" },
  { file: 'coffee.jpg', label: 'Coffee', credit: "scikit-image's coffee (Rachel Michetti, CC0)" },
  { file: 'rocket.jpg', label: 'Rocket', credit: "scikit-image's rocket (SpaceX, public domain)" },
  { file: 'grace_hopper.jpg', label: 'Grace Hopper', credit: "matplotlib's grace_hopper (US Navy, public domain)" },
];
