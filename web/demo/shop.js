// Demo shop behaviour. Kept in a file of its own: pages carry no inline
// script, so they work under a strict Content-Security-Policy.
(function () {
  "use strict";

  var PRODUCTS = {
    1: { name: "Walnut Pen Stand", price: "€24.00", text: "Holds twelve pens upright, turned from one piece of walnut." },
    2: { name: "Felt Desk Mat", price: "€39.00", text: "Thick wool felt, 80 × 30 cm, quiet under keyboard and mouse." },
    3: { name: "Brass Paper Clip Set", price: "€12.50", text: "Forty solid brass clips in a tin that outlives them." },
    4: { name: "Ceramic Mug", price: "€18.00", text: "Hand-glazed stoneware, holds 350 ml of whatever keeps you going." }
  };
  var CART_KEY = "shop:cart";

  function cartCount() {
    try {
      return parseInt(localStorage.getItem(CART_KEY) || "0", 10) || 0;
    } catch (e) {
      return 0;
    }
  }

  function setCartCount(n) {
    try {
      localStorage.setItem(CART_KEY, String(n));
    } catch (e) {
      // Storage unavailable: the counter still updates on this page.
    }
    var counter = document.getElementById("cart-count");
    if (counter) counter.textContent = String(n);
  }

  function showProduct() {
    var match = /[?&]id=(\d+)/.exec(location.search);
    var id = match && PRODUCTS[match[1]] ? match[1] : "1";
    var product = PRODUCTS[id];
    document.title = product.name + " · Playhead Demo Shop";
    document.getElementById("product-name").textContent = product.name;
    document.getElementById("product-price").textContent = product.price;
    document.getElementById("product-description").textContent = product.text;
    document.getElementById("product-swatch").className = "swatch swatch-large swatch-" + id;

    document.getElementById("add-to-cart").addEventListener("click", function () {
      setCartCount(cartCount() + 1);
      document.getElementById("added").hidden = false;
    });
  }

  function setUpCheckout() {
    var form = document.getElementById("checkout-form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.hidden = true;
      document.getElementById("confirmation").hidden = false;
      setCartCount(0);
    });
  }

  setCartCount(cartCount());
  if (document.getElementById("add-to-cart")) showProduct();
  if (document.getElementById("checkout-form")) setUpCheckout();
})();
